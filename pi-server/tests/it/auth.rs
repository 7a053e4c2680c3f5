//! `--auth` and `--token-file`: who may watch. Right, wrong and missing credentials, the
//! token in the URL, the health check left open, and no secret in `/stats`.

use base64::Engine as _;
use pi_server::http::auth::Access;

use crate::support::{Server, client, pattern_config};

const TOKEN: &str = "Zx81-spectrum_QL.2068";

async fn protected() -> Server {
    Server::start({
        let mut config = pattern_config();
        config.http.access = Access::new(Some("pi:correct horse"), Some(TOKEN)).unwrap();
        config
    })
    .await
}

fn basic(user_password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_password)
    )
}

#[tokio::test]
async fn without_credentials_every_page_but_the_health_check_is_401() {
    let server = protected().await;
    for path in [
        "/",
        "/stream.mjpg",
        "/snapshot.jpg",
        "/stats",
        "/?action=stream",
    ] {
        let r = client().get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(
            r.headers()["www-authenticate"],
            r#"Basic realm="pi-server", charset="UTF-8""#,
            "{path}: a browser asks for the password"
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("user name and password"), "{body}");
    }
    let r = client().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "monitoring needs no password");
}

#[tokio::test]
async fn the_right_password_opens_the_stream_and_a_wrong_one_does_not() {
    let server = protected().await;
    let get = |auth: String| {
        client()
            .get(server.url("/snapshot.jpg"))
            .header("authorization", auth)
            .send()
    };
    let ok = get(basic("pi:correct horse")).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(&ok.bytes().await.unwrap()[..2], b"\xff\xd8");
    for wrong in [
        "pi:correct hors",
        "pi:correct horsf",
        "pj:correct horse",
        "pi:",
        "",
    ] {
        let r = get(basic(wrong)).await.unwrap();
        assert_eq!(r.status(), 401, "{wrong:?}");
    }
    // The stream itself, through reqwest's own Basic support.
    let r = client()
        .get(server.url("/stream.mjpg"))
        .basic_auth("pi", Some("correct horse"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_token_in_the_url_opens_it_and_never_shows_in_stats() {
    let server = protected().await;
    let url = server.url(&format!("/stream.mjpg?fps=5&token={TOKEN}"));
    let (_, mut parts) = crate::support::open_stream(&url).await;
    crate::support::next_part(&mut parts).await;
    let bad = client()
        .get(server.url("/stream.mjpg?token=Zx81-spectrum_QL.2069"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let stats = client()
        .get(server.url(&format!("/stats?token={TOKEN}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        stats.contains(r#""path": "/stream.mjpg?fps=5&token=…""#),
        "{stats}"
    );
    assert!(!stats.contains(TOKEN), "the token is in /stats: {stats}");
}
