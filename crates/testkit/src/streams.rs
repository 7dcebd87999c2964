//! Reads DynamoDB Local's streams the way Lambda's event source mapping does (DescribeStream,
//! GetShardIterator, GetRecords) and hands the records over in the shape Lambda sends them, so
//! the stream processor is tested on real records of real writes.

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client;
use base64::Engine;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// One reader per test: it remembers the last sequence number read from each shard, so every
/// [`Streams::take`] returns only the records written since the last one.
pub struct Streams {
    client: Client,
    dynamodb: aws_sdk_dynamodb::Client,
    positions: HashMap<String, String>,
}

impl Streams {
    pub async fn new(dynamodb: aws_sdk_dynamodb::Client) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region("us-east-1")
            .endpoint_url(crate::endpoint())
            .test_credentials()
            .load()
            .await;
        Self {
            client: Client::new(&config),
            dynamodb,
            positions: HashMap::new(),
        }
    }

    /// The records `table`'s stream holds since the last take, as a Lambda DynamoDB event.
    ///
    /// # Panics
    /// When the table has no stream or DynamoDB Local refuses a call.
    pub async fn take(&mut self, table: &str) -> aws_lambda_events::dynamodb::Event {
        let records = self.take_json(table).await;
        serde_json::from_value(json!({ "Records": records }))
            .unwrap_or_else(|e| panic!("stream records of {table} are a Lambda event: {e}"))
    }

    /// As [`Streams::take`], as the JSON Lambda would send.
    pub async fn take_json(&mut self, table: &str) -> Vec<Value> {
        let described = self
            .dynamodb
            .describe_table()
            .table_name(table)
            .send()
            .await
            .expect("DescribeTable");
        let arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .unwrap_or_else(|| panic!("{table} has no stream"))
            .to_owned();
        let stream = self
            .client
            .describe_stream()
            .stream_arn(&arn)
            .send()
            .await
            .expect("DescribeStream");
        let shards: Vec<String> = stream
            .stream_description()
            .map(|d| {
                d.shards()
                    .iter()
                    .filter_map(|s| s.shard_id().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        for shard in shards {
            let key = format!("{arn}/{shard}");
            let start = self
                .client
                .get_shard_iterator()
                .stream_arn(&arn)
                .shard_id(&shard);
            let start = match self.positions.get(&key) {
                Some(seq) => start
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(seq),
                None => start.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            let mut iterator = start.send().await.expect("GetShardIterator").shard_iterator;
            while let Some(it) = iterator.take() {
                let page = self
                    .client
                    .get_records()
                    .shard_iterator(&it)
                    .send()
                    .await
                    .expect("GetRecords");
                let records = page.records();
                if let Some(last) = records.last().and_then(|r| r.dynamodb()?.sequence_number()) {
                    self.positions.insert(key.clone(), last.to_owned());
                }
                out.extend(records.iter().map(|r| lambda_record(r, &arn)));
                if !records.is_empty() {
                    iterator = page.next_shard_iterator;
                }
            }
        }
        out
    }
}

/// A stream record in the shape Lambda delivers it.
fn lambda_record(record: &Record, stream_arn: &str) -> Value {
    let change = record.dynamodb();
    let image = |m: Option<&HashMap<String, AttributeValue>>| {
        m.map(|m| Value::Object(m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect()))
    };
    let mut dynamodb = Map::new();
    if let Some(c) = change {
        if let Some(t) = c.approximate_creation_date_time() {
            dynamodb.insert("ApproximateCreationDateTime".into(), json!(t.secs()));
        }
        for (name, value) in [
            ("Keys", image(c.keys.as_ref())),
            ("NewImage", image(c.new_image.as_ref())),
            ("OldImage", image(c.old_image.as_ref())),
        ] {
            if let Some(v) = value {
                dynamodb.insert(name.into(), v);
            }
        }
        dynamodb.insert("SequenceNumber".into(), json!(c.sequence_number()));
        dynamodb.insert("SizeBytes".into(), json!(c.size_bytes()));
        dynamodb.insert(
            "StreamViewType".into(),
            json!(c.stream_view_type().map(|v| v.as_str())),
        );
    }
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventVersion": record.event_version(),
        "eventSource": record.event_source(),
        "awsRegion": record.aws_region(),
        "eventSourceARN": stream_arn,
        "dynamodb": dynamodb,
    })
}

/// DynamoDB JSON, as Lambda writes attribute values.
fn attribute(v: &AttributeValue) -> Value {
    let b64 = |b: &aws_sdk_dynamodbstreams::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(b.as_ref())
    };
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => json!({ "BS": v.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::M(m) => {
            json!({ "M": m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect::<Map<_, _>>() })
        }
        AttributeValue::L(l) => json!({ "L": l.iter().map(attribute).collect::<Vec<_>>() }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        other => panic!("an attribute value this reader does not know: {other:?}"),
    }
}
