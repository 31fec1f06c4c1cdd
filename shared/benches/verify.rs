//! Signature verification of a 1 KiB body against the raw HMAC-SHA256 of the same bytes.
//! Target: verification within 1.3x of raw HMAC.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fanfare_shared::contract::signature::{
    sign, Scheme, SignatureHeaders, SigningSecret, Verifier, VerifierOptions,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::hint::black_box;

const T: i64 = 1_767_225_600;

fn body_1k() -> Vec<u8> {
    let mut body = br#"{"id":"evt_bench","type":"queue.consumer_admitted","created":1767225600,"data":{"pad":""#.to_vec();
    body.resize(1024 - 3, b'x');
    body.extend_from_slice(br#""}}"#);
    body
}

fn bench(c: &mut Criterion) {
    let body = body_1k();
    assert_eq!(body.len(), 1024);
    let secret = SigningSecret::new("whsec_test").unwrap();
    let header = sign(&secret, Scheme::A, T, &body).remove(0).1;
    let verifier = Verifier::new(vec![secret], VerifierOptions::default()).unwrap();
    let headers = SignatureHeaders {
        signature: Some(&header),
        timestamp: None,
    };
    assert!(verifier.verify(headers, &body, T).is_ok());

    let mut group = c.benchmark_group("signature_1KiB");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("raw_hmac_sha256", |b| {
        b.iter(|| {
            let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
            mac.update(black_box(&body));
            black_box(mac.finalize().into_bytes())
        })
    });
    group.bench_function("verify_scheme_a", |b| {
        b.iter(|| black_box(verifier.verify(black_box(headers), black_box(&body), T)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
