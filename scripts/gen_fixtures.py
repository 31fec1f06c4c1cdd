#!/usr/bin/env python3
"""Writes events/http/*.json: API Gateway HTTP API (v2) requests, as `sam local generate-event apigateway
http-api-proxy` shapes them, carrying Fanfare webhooks signed with the documented test secret `whsec_test`
at the fixed time 1767225600 (2026-01-01T00:00:00Z). The expected status is the file name's suffix.

Uses only Python's standard library, so that the signatures are computed independently of the Rust code
that verifies them. Run `make fixtures` after changing this file; the files are committed."""
import base64, hashlib, hmac, json, os, sys

SECRET = b"whsec_test"
T = 1767225600
OUT = os.path.join(os.path.dirname(__file__), "..", "events", "http")

EXP, CON = "exp_spring_drop", "con_001"
Q = {"experienceId": EXP, "sequenceId": "seq_1", "queueId": "que_1", "consumerId": CON}
ISO = "2026-01-01T00:00:00Z"

# One fixture per row of the contract's alias table: (name, type as sent, data). Spellings rotate
# through the aliases so that each alias style appears.
KINDS = [
    ("queue_entered", "queue.consumer_entered", {**Q, "position": 42, "enteredAt": ISO}),
    ("queue_admitted", "queue.consumer.admitted", {**Q, "distributionId": "dst_1", "enteredAt": ISO, "admittedAt": ISO,
        "admissionToken": "adm_tok_secret", "expiresAt": "2026-01-01T00:15:00Z", "waitTimeSeconds": 300, "position": 1}),
    ("queue_completed", "queue.admission_completed", {**Q, "completedAt": ISO, "orderId": "ord_1"}),
    ("admission_expired", "queue.access_expired", {"consumerId": CON, "experienceId": EXP, "distributionId": "dst_1", "expiredAt": ISO}),
    ("queue_left", "queue.consumer.left", {**Q, "leftAt": ISO, "positionWhenLeft": 17, "reason": "user_left"}),
    ("queue_denied", "queue.consumer.denied", {**Q, "deniedAt": ISO, "reason": "bot_detected"}),
    ("queue_position_updated", "queue.position_updated", {**Q, "position": 12}),
    ("queue_sold_out", "queue.sold_out", {"experienceId": EXP, "queueId": "que_1"}),
    ("draw_entered", "draw.entry_created", {"experienceId": EXP, "drawId": "drw_1", "consumerId": CON, "enteredAt": ISO, "entrantNumber": 7}),
    ("draw_left", "draw.consumer_left", {"experienceId": EXP, "drawId": "drw_1", "consumerId": CON}),
    ("draw_won", "draw.consumer.won", {"experienceId": EXP, "drawId": "drw_1", "consumerId": CON, "wonAt": ISO,
        "admissionToken": "adm_tok_secret", "winnerPosition": 1}),
    ("draw_winners_selected", "draw.winners_selected", {"experienceId": EXP, "drawId": "drw_1", "totalEntries": 2,
        "selectionMethod": "random", "winners": [{"consumerId": CON, "position": 1, "claimToken": "clm_secret",
        "claimDeadline": "2026-01-02T00:00:00Z"}]}),
    ("draw_lost", "draw.consumer.lost", {"experienceId": EXP, "drawId": "drw_1", "consumerId": "con_002", "lostAt": ISO}),
    ("draw_completed", "draw.completed", {"experienceId": EXP, "drawId": "drw_1", "completedAt": ISO, "totalEntrants": 2, "winnersSelected": 1}),
    ("draw_prize_claimed", "draw.prize_claimed", {"experienceId": EXP, "drawId": "drw_1", "consumerId": CON, "orderId": "ord_2"}),
    ("draw_prize_expired", "draw.prize_expired", {"experienceId": EXP, "drawId": "drw_1", "consumerId": CON}),
    ("auction_bid_placed", "auction.bid.placed", {"experienceId": EXP, "auctionId": "auc_1", "consumerId": CON, "bidId": "bid_1",
        "bidAmount": "149.99", "currencyCode": "USD", "bidTime": ISO, "isHighestBid": True}),
    ("auction_outbid", "auction.outbid", {"experienceId": EXP, "auctionId": "auc_1", "consumerId": CON, "outbidAt": ISO,
        "previousBidAmount": "149.99", "newHighBidAmount": "155.00"}),
    ("auction_won", "auction.winner_notified", {"experienceId": EXP, "auctionId": "auc_1", "consumerId": CON, "wonAt": ISO,
        "winningBidAmount": 155.0, "currencyCode": "USD", "paymentToken": "pay_secret"}),
    ("auction_settled", "auction.auction_ended", {"experienceId": EXP, "auctionId": "auc_1", "settledAt": ISO, "totalBids": 2,
        "uniqueBidders": 2, "winningBidAmount": "155.00", "winnerId": CON}),
    ("experience_created", "experience.created", {"experienceId": EXP, "type": "queue"}),
    ("experience_started", "experience.activated", {"experienceId": EXP, "status": "live"}),
    ("experience_paused", "experience.paused", {"experienceId": EXP, "reason": "maintenance"}),
    ("experience_resumed", "experience.resumed", {"experienceId": EXP, "pausedDuration": 60}),
    ("experience_ended", "experience.completed", {"experienceId": EXP, "totalParticipants": 1000}),
    ("experience_cancelled", "experience.cancelled", {"experienceId": EXP}),
    ("distribution_opened", "distribution.opened", {"experienceId": EXP, "distributionId": "dst_1", "distributionType": "queue", "openedAt": ISO}),
    ("distribution_updated", "distribution.updated", {"experienceId": EXP, "distributionId": "dst_1", "updatedAt": ISO, "changedFields": ["capacity"]}),
    ("distribution_closed", "distribution.closed", {"experienceId": EXP, "distributionId": "dst_1", "closedAt": ISO, "totalParticipants": 1000}),
    ("order_created", "order.created", {"orderId": "ord_1", "consumerId": CON, "experienceId": EXP, "createdAt": ISO, "amount": "149.99",
        "currencyCode": "USD", "items": [{"productId": "prd_1", "variantId": "var_1", "quantity": 1}]}),
    ("order_paid", "order.paid", {"orderId": "ord_1", "consumerId": CON, "amount": "149.99", "currencyCode": "USD"}),
    ("order_completed", "order.completed", {"orderId": "ord_1", "consumerId": CON, "completedAt": ISO, "amount": "149.99", "currencyCode": "USD"}),
    ("order_fulfilled", "order.fulfilled", {"orderId": "ord_1", "consumerId": CON}),
    ("order_cancelled", "order.cancelled", {"orderId": "ord_1", "consumerId": CON, "cancelledAt": ISO, "reason": "customer_request"}),
    ("consumer_created", "consumer.created", {"consumerId": CON, "email": "ada@example.com", "phone": None, "fullName": "Ada L",
        "createdAt": ISO, "source": "queue"}),
    ("consumer_updated", "consumer.updated", {"consumerId": CON, "updatedAt": ISO, "changedFields": ["email"], "email": "ada2@example.com"}),
    ("consumer_deleted", "consumer.deleted", {"consumerId": CON}),
    ("consumer_authenticated", "consumer.authenticated", {"consumerId": CON}),
    ("consumer_linked", "consumer.linked", {"consumerId": CON}),
    ("webhook_delivery_failed", "webhook.delivery.failed", {"endpointId": "wep_1", "endpointUrl": "https://example.com/hook",
        "eventId": "evt_lost", "eventType": "order.paid", "retryCount": 7, "lastError": "timeout", "willRetry": False}),
]


def envelope(name, event_type, data, i):
    env = {"id": f"evt_{name}", "type": event_type, "data": data}
    # Rotate the documented envelope variants.
    if i % 3 == 0:
        env["created"] = T
        env["organizationId"] = "org_1"
    elif i % 3 == 1:
        env["created"] = ISO
        env["organization"] = {"id": "org_1", "name": "Brand"}
    else:
        env["timestamp"] = ISO
        env["organization_id"] = "org_1"
    return env


def sign(body: bytes, scheme="a", ts=T, secret=SECRET):
    if scheme == "a":
        mac = hmac.new(secret, str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"x-fanfare-signature": f"t={ts},v1={mac}"}
    if scheme == "b":
        mac = hmac.new(secret, str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"x-fanfare-signature": f"sha256={mac}", "x-fanfare-timestamp": str(ts)}
    mac = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return {"x-fanfare-signature": f"sha256={mac}"}


def http_v2(body: bytes, headers, method="POST", b64=False):
    h = {
        "accept": "*/*",
        "content-length": str(len(body)),
        "content-type": "application/json",
        "host": "abc123.execute-api.us-east-1.amazonaws.com",
        "user-agent": "Fanfare-Webhooks/1.0",
        "x-forwarded-for": "192.0.2.10",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    h.update(headers)
    return {
        "version": "2.0",
        "routeKey": "POST /webhooks/fanfare",
        "rawPath": "/webhooks/fanfare",
        "rawQueryString": "",
        "headers": h,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": "/webhooks/fanfare", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.10", "userAgent": "Fanfare-Webhooks/1.0"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "POST /webhooks/fanfare",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": T * 1000,
        },
        "body": base64.b64encode(body).decode() if b64 else body.decode(),
        "isBase64Encoded": b64,
    }


def rest_v1(body: bytes, headers):
    h = {"Content-Type": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com",
         "User-Agent": "Fanfare-Webhooks/1.0"}
    h.update({k.title(): v for k, v in headers.items()})
    return {
        "resource": "/webhooks/fanfare", "path": "/webhooks/fanfare", "httpMethod": "POST",
        "headers": h, "multiValueHeaders": {k: [v] for k, v in h.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"accountId": "123456789012", "apiId": "abc123", "resourceId": "r1",
            "stage": "prod", "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "resourcePath": "/webhooks/fanfare",
            "httpMethod": "POST", "path": "/prod/webhooks/fanfare", "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "192.0.2.10", "userAgent": "Fanfare-Webhooks/1.0"},
            "requestTimeEpoch": T * 1000},
        "body": body.decode(), "isBase64Encoded": False,
    }


def dump(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".json"):
            os.remove(os.path.join(OUT, f))
    out = {}
    for i, (name, event_type, data) in enumerate(KINDS):
        body = dump(envelope(name, event_type, data, i))
        scheme = "a" if i % 2 == 0 else "b"
        extra = {"x-fanfare-event-type": event_type, "x-fanfare-delivery-id": f"dlv_{name}", "x-fanfare-retry-count": "0"}
        out[f"{name}_scheme_{scheme}_200"] = http_v2(body, {**sign(body, scheme), **extra})

    good = dump(envelope("order_paid_variant", "order.paid", {"orderId": "ord_9", "consumerId": CON}, 0))
    out["base64_encoded_body_200"] = http_v2(good, sign(good), b64=True)
    out["rest_v1_order_paid_200"] = rest_v1(good, sign(good))
    snake = dump({"id": "evt_snake", "type": "queue.consumer_left", "created": T,
                  "data": {"experience_id": EXP, "consumer_id": CON, "left_at": ISO}})
    out["snake_case_data_200"] = http_v2(snake, sign(snake, "b"))
    unknown = dump({"id": "evt_test", "type": "test", "created": T, "data": {}})
    out["unknown_type_200"] = http_v2(unknown, sign(unknown))
    thin = dump({"id": "evt_thin", "type": "queue.consumer_admitted", "created": T, "data": {}})
    out["admitted_without_data_fields_200"] = http_v2(thin, sign(thin))
    rotated = sign(good)["x-fanfare-signature"] + ",v1=" + "0" * 64
    out["extra_v1_value_200"] = http_v2(good, {"x-fanfare-signature": rotated})

    out["missing_signature_401"] = http_v2(good, {})
    out["malformed_signature_401"] = http_v2(good, {"x-fanfare-signature": "t=abc,v1=zz"})
    out["wrong_secret_401"] = http_v2(good, sign(good, secret=b"whsec_other"))
    tampered = good.replace(b"ord_9", b"ord_0")
    out["tampered_body_401"] = http_v2(tampered, sign(good))
    out["stale_timestamp_401"] = http_v2(good, sign(good, ts=T - 3600))
    out["future_timestamp_401"] = http_v2(good, sign(good, ts=T + 3600))
    out["scheme_c_disabled_401"] = http_v2(good, sign(good, "c"))
    out["scheme_b_without_timestamp_401"] = http_v2(good, {"x-fanfare-signature": sign(good, "b")["x-fanfare-signature"]})
    out["get_method_405"] = http_v2(b"", {}, method="GET")
    big = dump({"id": "evt_big", "type": "order.paid", "created": T, "data": {"pad": "x" * (256 * 1024)}})
    out["body_too_large_413"] = http_v2(big, sign(big))
    bad64 = http_v2(good, sign(good))
    bad64["body"], bad64["isBase64Encoded"] = "%%% not base64 %%%", True
    out["invalid_base64_400"] = bad64
    # A body without `id` is identified by a digest of its signed bytes.
    no_id = dump({"type": "order.paid", "created": T, "data": {}})
    out["signed_missing_id_200"] = http_v2(no_id, sign(no_id))
    # Signed but not usable: kept in quarantine and answered 202, since a 4xx would only be retried.
    not_json = b"this is not json"
    out["signed_not_json_202"] = http_v2(not_json, sign(not_json))
    no_time = dump({"id": "evt_no_time", "type": "order.paid", "data": {"paymentToken": "pay_secret"}})
    out["signed_missing_time_202"] = http_v2(no_time, sign(no_time))
    # Fanfare's own test body (its docs' "send a test event"): no id, no time, a type outside the
    # contract. Acknowledged and recorded as ignored, not quarantined.
    fanfare_test = dump({"type": "test", "data": {}})
    out["fanfare_test_event_200"] = http_v2(fanfare_test, sign(fanfare_test))
    # The unsigned event-id header never names the event: the body's id does.
    out["event_id_header_disagrees_200"] = http_v2(good, {**sign(good), "x-fanfare-event-id": "evt_forged"})
    # U+FFFF is valid JSON but not a character SQS accepts: carried as base64 on the queue.
    odd = json.dumps({"id": "evt_noncharacter", "type": "consumer.updated", "created": T,
                      "data": {"consumerId": "con_odd", "fullName": "Zo\uffff"}},
                     separators=(",", ":"), ensure_ascii=False).encode()
    out["noncharacter_in_body_200"] = http_v2(odd, sign(odd))

    for name, req in out.items():
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(req, f, indent=2)
            f.write("\n")
    print(f"wrote {len(out)} fixtures to events/http", file=sys.stderr)
    write_sqs_fixtures()


def sqs_record(n, event_type, body: bytes, group, event_id, base64_body=False):
    """One record as `sam local generate-event sqs receive-message` shapes it, from a FIFO queue."""
    record = {
        "messageId": f"0c8b2e4e-0000-4000-8000-{n:012d}",
        "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{n}",
        "body": base64.b64encode(body).decode() if base64_body else body.decode(),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": str(T * 1000 + n),
            "SenderId": "AROAEXAMPLE:ingest",
            "ApproximateFirstReceiveTimestamp": str(T * 1000 + n + 5),
            "MessageGroupId": group,
            "MessageDeduplicationId": hashlib.sha256(event_id.encode()).hexdigest(),
            "SequenceNumber": str(18849496460467696128 + n),
        },
        "messageAttributes": {
            "fanfare-event-id": {"stringValue": event_id, "stringListValues": [], "binaryListValues": [], "dataType": "String"},
            "fanfare-event-type": {"stringValue": event_type, "stringListValues": [], "binaryListValues": [], "dataType": "String"},
        },
        "md5OfBody": hashlib.md5(body).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:fanfare-webhooks-EventsQueue.fifo",
        "awsRegion": "us-east-1",
    }
    if base64_body:
        record["messageAttributes"]["body-encoding"] = {
            "stringValue": "base64", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
        record["md5OfBody"] = hashlib.md5(record["body"].encode()).hexdigest()
    return record


def group_of(name, data):
    # Mirrors the receiver's ordering keys closely enough for fixtures; the processor does not read it.
    for key, prefix in (("drawId", "draw"), ("auctionId", "auction"), ("orderId", "order"), ("distributionId", "distribution")):
        if key in data:
            return f"{prefix}/{data[key]}"
    if "consumerId" in data and "experienceId" in data:
        return f"admission/{data['experienceId']}/{data['consumerId']}"
    return f"experience/{data.get('experienceId', 'none')}"


def write_sqs_fixtures():
    out_dir = os.path.join(os.path.dirname(OUT), "sqs")
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.endswith(".json"):
            os.remove(os.path.join(out_dir, f))
    records = []
    for i, (name, event_type, data) in enumerate(KINDS):
        body = dump(envelope(name, event_type, data, i))
        records.append(sqs_record(i, event_type, body, group_of(name, data), f"evt_{name}"))
    batches = {f"every_kind_batch_{b + 1}": records[b * 10:(b + 1) * 10] for b in range((len(records) + 9) // 10)}
    lifecycle = [KINDS[0], KINDS[1], KINDS[2]]
    # A consumer of its own, so the batch does not race the every-kind batches' admission.
    batches["queue_lifecycle_batch"] = [
        sqs_record(100 + i, t, dump({"id": f"evt_life_{i}", "type": t, "created": T + i,
                                     "data": {**d, "consumerId": "con_life"}}),
                   f"admission/{EXP}/con_life", f"evt_life_{i}")
        for i, (_, t, d) in enumerate(lifecycle)
    ]
    dup = dump({"id": "evt_dup", "type": "order.paid", "created": T, "data": {"orderId": "ord_dup", "consumerId": CON}})
    batches["duplicate_delivery_batch"] = [sqs_record(200, "order.paid", dup, "order/ord_dup", "evt_dup"),
                                           sqs_record(201, "order.paid", dup, "order/ord_dup", "evt_dup")]
    unknown = dump({"id": "evt_unknown_sqs", "type": "loyalty.points_awarded", "created": T, "data": {}})
    batches["unknown_type_batch"] = [sqs_record(300, "loyalty.points_awarded", unknown, "unattributed", "evt_unknown_sqs")]
    odd = json.dumps({"id": "evt_noncharacter_sqs", "type": "consumer.updated", "created": T,
                      "data": {"consumerId": "con_odd", "fullName": "Zo\uffff"}},
                     separators=(",", ":"), ensure_ascii=False).encode()
    batches["base64_body_batch"] = [sqs_record(400, "consumer.updated", odd, "consumer/con_odd",
                                               "evt_noncharacter_sqs", base64_body=True)]
    for name, recs in batches.items():
        with open(os.path.join(out_dir, f"{name}.json"), "w") as f:
            json.dump({"Records": recs}, f, indent=2)
            f.write("\n")
    print(f"wrote {len(batches)} fixtures to events/sqs", file=sys.stderr)


if __name__ == "__main__":
    main()
