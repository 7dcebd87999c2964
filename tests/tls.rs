//! The functions' HTTPS client trusts Amazon's roots and nothing else: a DynamoDB client built
//! with it completes a TLS handshake with a server whose authority it was given, and refuses one
//! whose authority it was not given even when the machine's own trust store holds it. The server
//! is `openssl s_server` on loopback, with an authority made for the test.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the openssl command runs (Debian package openssl)");
    assert!(status.success(), "openssl {args:?}");
}

/// A test authority, a certificate it signed for `localhost`, and a server presenting it.
fn server(dir: &Path) -> Server {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "1",
            "-subj",
            "/CN=inventory test authority",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .expect("extensions written");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
        ],
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("openssl")
        .args([
            "s_server", "-quiet", "-www", "-cert", "leaf.pem", "-key", "leaf.key",
        ])
        .args(["-accept", &format!("127.0.0.1:{port}")])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    Server { child, port }
}

/// What a DynamoDB call through `http_client` to the server failed with, as text.
async fn call(
    port: u16,
    http_client: aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> String {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client)
        .region("us-east-1")
        .endpoint_url(format!("https://localhost:{port}"))
        .test_credentials()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        // s_server does not answer a POST: past the handshake the call waits for an answer.
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(3))
                .build(),
        )
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    for _ in 0..50 {
        match client.list_tables().send().await {
            Ok(_) => return "answered".into(),
            // Not listening yet.
            Err(e) if format!("{e:?}").contains("Connection refused") => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return format!("{e:?}"),
        }
    }
    panic!("the test server never listened on {port}");
}

#[tokio::test]
async fn the_functions_client_trusts_the_authorities_it_is_given_and_no_other() {
    let dir = std::env::temp_dir().join(format!("inventory-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let server = server(&dir);
    let authority = std::fs::read(dir.join("ca.pem")).expect("the test authority");

    // The machine's trust store now holds the test authority (rustls-native-certs reads these;
    // each test runs in a process of its own under nextest): a client that trusted the
    // platform's roots would complete the handshake, as the SDK's default client does below.
    std::env::set_var("SSL_CERT_FILE", dir.join("ca.pem"));
    std::env::set_var("SSL_CERT_DIR", &dir);
    let platform = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();

    let given = call(server.port, inventory::aws::https_client(&[&authority])).await;
    let not_given = call(server.port, inventory::aws::https_client(&[])).await;
    let by_platform = call(server.port, platform).await;

    assert!(
        !given.contains("InvalidCertificate") && !given.contains("UnknownIssuer"),
        "with the authority the handshake completes (the server is not DynamoDB, so the call \
         still fails after it): {given}"
    );
    assert!(
        not_given.contains("UnknownIssuer"),
        "without it the certificate is refused, though the platform's store trusts it: {not_given}"
    );
    assert!(
        !by_platform.contains("UnknownIssuer"),
        "the SDK's default client, which trusts the platform's store, completes it: {by_platform}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
