//! Counting (and cutting off) the requests a client sends: request counts per operation, outages.

use aws_config::SdkConfig;

/// Counts DynamoDB/SQS requests by operation, and can simulate an outage: every request fails
/// while `down` is set, before it reaches the network.
#[derive(Debug, Default)]
pub struct RequestMeter {
    pub counts: std::sync::Mutex<std::collections::BTreeMap<String, usize>>,
    pub down: std::sync::atomic::AtomicBool,
}

impl RequestMeter {
    pub fn total(&self) -> usize {
        self.counts.lock().unwrap().values().sum()
    }

    pub fn writes(&self) -> usize {
        self.counts
            .lock()
            .unwrap()
            .iter()
            .filter(|(op, _)| {
                ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"].contains(&op.as_str())
            })
            .map(|(_, n)| n)
            .sum()
    }

    pub fn reset(&self) {
        self.counts.lock().unwrap().clear();
    }

    pub fn snapshot(&self) -> std::collections::BTreeMap<String, usize> {
        self.counts.lock().unwrap().clone()
    }
}

#[derive(Debug, Clone)]
pub struct MeterInterceptor(pub std::sync::Arc<RequestMeter>);

#[derive(Debug)]
struct SimulatedOutage;

impl std::fmt::Display for SimulatedOutage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated outage")
    }
}

impl std::error::Error for SimulatedOutage {}

impl aws_sdk_dynamodb::config::Intercept for MeterInterceptor {
    fn name(&self) -> &'static str {
        "RequestMeter"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if self.0.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Box::new(SimulatedOutage));
        }
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_string();
        *self.0.counts.lock().unwrap().entry(target).or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB client on moto whose requests are metered (and can be cut off).
pub fn metered_dynamodb(
    config: &SdkConfig,
    meter: std::sync::Arc<RequestMeter>,
) -> aws_sdk_dynamodb::Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(MeterInterceptor(meter))
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_dynamodb::Client::from_conf(conf)
}
