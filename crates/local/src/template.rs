//! Reads template.yaml: the tables to create and the routes to serve, so neither is written twice.

use serde_norway::Value;
use std::path::Path;

/// The audience of dev tokens and of the local gateway's checks.
pub const LOCAL_JWT_AUDIENCE: &str = "inventory-api";

/// The parts of the SAM template the local setup needs.
#[derive(Debug, Clone)]
pub struct Template {
    pub tables: Vec<TableSpec>,
    pub functions: Vec<FunctionSpec>,
    /// Template parameters that have a default, with it.
    pub parameter_defaults: std::collections::BTreeMap<String, String>,
}

/// A DynamoDB table as declared in the template.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub logical_id: String,
    /// The name it gets when deployed with default parameters.
    pub default_name: String,
    /// The environment variable through which functions learn the name (from `Globals`).
    pub env_var: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub key_schema: Vec<(String, String)>,
    pub indexes: Vec<IndexSpec>,
    pub stream_view_type: Option<String>,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone)]
pub struct IndexSpec {
    pub name: String,
    pub key_schema: Vec<(String, String)>,
    pub projection_type: String,
    /// With `INCLUDE`: the attributes projected besides the keys.
    pub non_key_attributes: Vec<String>,
}

/// A function and how it is triggered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// The last segment of `CodeUri`: the crate folder under functions/ and the binary name.
    pub name: String,
    pub trigger: Trigger,
    /// False for HTTP routes marked `Auth: Authorizer: NONE`: API Gateway checks no token.
    pub requires_token: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An HttpApi route. `None` for both is the `$default` route.
    Http {
        method: Option<String>,
        path: Option<String>,
    },
    /// Invoked directly, by a schedule or by a stream: no route.
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("template is not valid YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    #[error("template: {0}")]
    Shape(String),
}

impl Template {
    /// # Errors
    /// When the file cannot be read or lacks what the service needs.
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// The repository's template.yaml, found from this crate's folder.
    ///
    /// # Errors
    /// As [`Template::load`].
    pub fn of_repository() -> Result<Self, TemplateError> {
        Self::load(&repository_root().join("template.yaml"))
    }

    /// # Errors
    /// When the text is not YAML or lacks what the service needs.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_norway::from_str(text)?;
        let shape = |what: &str| TemplateError::Shape(what.to_owned());
        let parameters = doc.get("Parameters");
        let resources = doc
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| shape("no Resources"))?;
        let env_vars = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping);

        let mut tables = Vec::new();
        let mut functions = Vec::new();
        for (id, resource) in resources {
            let id = id
                .as_str()
                .ok_or_else(|| shape("a resource id is not a string"))?
                .to_owned();
            let props = resource.get("Properties");
            match resource.get("Type").and_then(Value::as_str) {
                Some("AWS::DynamoDB::Table") => {
                    let props = props.ok_or_else(|| shape(&format!("{id} has no Properties")))?;
                    tables.push(table_spec(&id, props, parameters, env_vars)?);
                }
                Some("AWS::Serverless::Function") => {
                    let props = props.ok_or_else(|| shape(&format!("{id} has no Properties")))?;
                    functions.push(function_spec(&id, props)?);
                }
                _ => {}
            }
        }
        let parameter_defaults = parameters
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let default = match v.get("Default")? {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                Some((k.as_str()?.to_owned(), default))
            })
            .collect();
        Ok(Self {
            tables,
            functions,
            parameter_defaults,
        })
    }

    /// The HTTP routes, as `(method, path, function name)`; the `$default` route is not among them.
    pub fn routes(&self) -> Vec<(String, String, String)> {
        self.http_routes()
            .map(|(f, m, p)| (m.to_owned(), p.to_owned(), f.name.clone()))
            .collect()
    }

    /// The HTTP routes with their functions; the `$default` route is not among them.
    pub fn http_routes(&self) -> impl Iterator<Item = (&FunctionSpec, &str, &str)> {
        self.functions.iter().filter_map(|f| match &f.trigger {
            Trigger::Http {
                method: Some(m),
                path: Some(p),
            } => Some((f, m.as_str(), p.as_str())),
            _ => None,
        })
    }

    /// The audience tokens must carry locally: the `JwtAudience` parameter's default if it has one.
    /// It has none in the template (a deploy must name its real audience), so the local gateway
    /// and dev tokens use [`LOCAL_JWT_AUDIENCE`].
    pub fn jwt_audience(&self) -> &str {
        self.parameter_defaults
            .get("JwtAudience")
            .map_or(LOCAL_JWT_AUDIENCE, String::as_str)
    }

    /// The function behind the `$default` route, which answers unmatched requests.
    pub fn default_route(&self) -> Option<&str> {
        self.functions
            .iter()
            .find(|f| {
                f.trigger
                    == Trigger::Http {
                        method: None,
                        path: None,
                    }
            })
            .map(|f| f.name.as_str())
    }
}

/// The folder that holds template.yaml, Cargo.toml and demo/.
pub fn repository_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(".").into())
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// `!Ref Param` resolves to the parameter's default; a plain string is itself.
fn resolve_name(v: &Value, parameters: Option<&Value>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Tagged(tagged) if tagged.tag == "Ref" => {
            let param = tagged.value.as_str()?;
            parameters?
                .get(param)?
                .get("Default")?
                .as_str()
                .map(str::to_owned)
        }
        _ => None,
    }
}

fn key_schema(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|k| {
            Some((
                str_at(k, "AttributeName")?.to_owned(),
                str_at(k, "KeyType")?.to_owned(),
            ))
        })
        .collect()
}

fn table_spec(
    id: &str,
    props: &Value,
    parameters: Option<&Value>,
    env_vars: Option<&serde_norway::Mapping>,
) -> Result<TableSpec, TemplateError> {
    let default_name = props
        .get("TableName")
        .and_then(|v| resolve_name(v, parameters))
        .ok_or_else(|| TemplateError::Shape(format!("{id} has no resolvable TableName")))?;
    // The variable whose value is `!Ref <this table>`.
    let env_var = env_vars
        .into_iter()
        .flatten()
        .find_map(|(name, value)| match value {
            Value::Tagged(t) if t.tag == "Ref" && t.value.as_str() == Some(id) => {
                name.as_str().map(str::to_owned)
            }
            _ => None,
        });
    let attributes = props
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some((
                str_at(a, "AttributeName")?.to_owned(),
                str_at(a, "AttributeType")?.to_owned(),
            ))
        })
        .collect();
    let indexes = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            Some(IndexSpec {
                name: str_at(i, "IndexName")?.to_owned(),
                key_schema: key_schema(i.get("KeySchema")),
                projection_type: i
                    .get("Projection")
                    .and_then(|p| str_at(p, "ProjectionType"))
                    .unwrap_or("ALL")
                    .to_owned(),
                non_key_attributes: i
                    .get("Projection")
                    .and_then(|p| p.get("NonKeyAttributes"))
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect(),
            })
        })
        .collect();
    Ok(TableSpec {
        logical_id: id.to_owned(),
        default_name,
        env_var,
        attributes,
        key_schema: key_schema(props.get("KeySchema")),
        indexes,
        stream_view_type: props
            .get("StreamSpecification")
            .and_then(|s| str_at(s, "StreamViewType"))
            .map(str::to_owned),
        ttl_attribute: props
            .get("TimeToLiveSpecification")
            .and_then(|t| str_at(t, "AttributeName"))
            .map(str::to_owned),
    })
}

fn function_spec(id: &str, props: &Value) -> Result<FunctionSpec, TemplateError> {
    let code_uri = str_at(props, "CodeUri")
        .ok_or_else(|| TemplateError::Shape(format!("{id} has no CodeUri")))?;
    let name = code_uri
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(code_uri)
        .to_owned();
    let http = props
        .get("Events")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .map(|(_, event)| event)
        .find(|event| str_at(event, "Type") == Some("HttpApi"));
    let requires_token = http
        .and_then(|event| event.get("Properties"))
        .and_then(|p| p.get("Auth"))
        .and_then(|a| str_at(a, "Authorizer"))
        != Some("NONE");
    let trigger = match http {
        Some(event) => {
            let p = event.get("Properties");
            Trigger::Http {
                method: p.and_then(|p| str_at(p, "Method")).map(str::to_uppercase),
                path: p.and_then(|p| str_at(p, "Path")).map(str::to_owned),
            }
        }
        None => Trigger::Other,
    };
    Ok(FunctionSpec {
        logical_id: id.to_owned(),
        name,
        trigger,
        requires_token,
    })
}
