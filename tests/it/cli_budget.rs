//! `llmos budget`: a new workspace starts with $10; `--set` changes the balance; `--json`
//! reports balance, spend, holds and charges; bad amounts are command-line errors.

use crate::support::learn::{Ws, llmos};

#[tokio::test]
async fn a_new_workspace_starts_with_ten_dollars() {
    let ws = Ws::new();
    let run = llmos(&ws, &["budget"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "balance  $10.0000\nspent    $0.0000\n\nno charges yet\n"
    );
    let b = llmos(&ws, &["budget", "--json"], &[]).await.json();
    assert_eq!(b["balance_usd"].as_f64(), Some(10.0));
    assert_eq!(b["spent_usd"].as_f64(), Some(0.0));
    assert_eq!(b["recent"], serde_json::json!([]));
}

#[tokio::test]
async fn set_changes_the_balance() {
    let ws = Ws::new();
    let run = llmos(&ws, &["budget", "--set", "5"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "balance set to $5.0000\n");
    assert!(
        run.stdout.starts_with("balance  $5.0000\n"),
        "{}",
        run.stdout
    );
    let b = llmos(&ws, &["budget", "--set", "$0.25", "--json"], &[])
        .await
        .json();
    assert_eq!(b["balance_usd"].as_f64(), Some(0.25));
    let b = llmos(&ws, &["budget", "--json"], &[]).await.json();
    assert_eq!(b["balance_usd"].as_f64(), Some(0.25));
}

#[tokio::test]
async fn bad_amounts_are_command_line_errors() {
    let ws = Ws::new();
    for bad in ["-1", "lots", "inf"] {
        let run = llmos(&ws, &["budget", "--set", bad], &[]).await;
        assert_eq!(run.code, 2, "{bad}: {}", run.stderr);
        assert!(run.stderr.contains(&format!("`{bad}`")), "{}", run.stderr);
    }
    let b = llmos(&ws, &["budget", "--json"], &[]).await.json();
    assert_eq!(b["balance_usd"].as_f64(), Some(10.0));
}
