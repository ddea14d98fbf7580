//! `store gc --grace 0s` beside importers: an importer holds the store's lease from
//! storing a program until the library refers to it, so gc never deletes a program that a
//! library entry is about to name. And `store verify` reports library entries whose
//! program is missing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::support::learn::{Ws, llmos};

fn trace(i: usize) -> String {
    format!("trace greet_{i}\ngoal \"greet visitor number {i}\"\nreturn \"hello {i}\"\n")
}

#[tokio::test]
async fn gc_racing_six_importers_breaks_none() {
    const IMPORTERS: usize = 6;
    const EACH: usize = 12;
    let ws = Arc::new(Ws::new());
    for i in 0..IMPORTERS * EACH {
        ws.write(&format!("traces/t{i}.llt"), &trace(i));
    }
    // An old program nothing refers to: gc must take it.
    ws.write("orphan.llt", "trace orphan\nreturn \"gone\"\n");
    let orphan = llmos(&ws, &["compile", "orphan.llt"], &[]).await;
    assert_eq!(orphan.code, 0, "{}", orphan.stderr);

    let done = Arc::new(AtomicBool::new(false));
    let gc_runs = Arc::new(AtomicUsize::new(0));
    let collector = {
        let (ws, done, gc_runs) = (Arc::clone(&ws), Arc::clone(&done), Arc::clone(&gc_runs));
        tokio::spawn(async move {
            let mut failures = Vec::new();
            // At least two collections: one before the importers start and one after
            // they are done, whatever the schedule in between.
            while !done.load(Ordering::SeqCst) || gc_runs.load(Ordering::SeqCst) < 2 {
                let run = llmos(&ws, &["store", "gc", "--grace", "0s"], &[]).await;
                if run.code != 0 {
                    failures.push(run.stderr);
                }
                gc_runs.fetch_add(1, Ordering::SeqCst);
            }
            failures
        })
    };
    while gc_runs.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let importers = (0..IMPORTERS).map(|w| {
        let ws = Arc::clone(&ws);
        async move {
            let mut failed = Vec::new();
            for j in 0..EACH {
                let file = format!("traces/t{}.llt", w * EACH + j);
                let run = llmos(&ws, &["traces", "import", &file], &[]).await;
                if run.code != 0 {
                    failed.push(format!("{file}: {}", run.stderr));
                }
            }
            failed
        }
    });
    let failed: Vec<String> = futures::future::join_all(importers)
        .await
        .into_iter()
        .flatten()
        .collect();
    done.store(true, Ordering::SeqCst);
    let gc_failures = collector.await.unwrap();
    assert!(
        failed.is_empty(),
        "{} imports failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
    assert!(gc_failures.is_empty(), "{}", gc_failures.join("\n"));

    // Every entry's program is there, and the orphan is gone.
    let verify = llmos(&ws, &["store", "verify"], &[]).await;
    assert_eq!(verify.code, 0, "{}", verify.stderr);
    let ls = llmos(&ws, &["traces", "ls", "--json"], &[]).await;
    let entries = ls.json();
    assert_eq!(entries.as_array().unwrap().len(), IMPORTERS * EACH);
    let objects = ws.root().join(".llmos/objects");
    for e in entries.as_array().unwrap() {
        let id = e["program"].as_str().unwrap();
        assert!(
            objects.join(&id[..2]).join(&id[2..]).is_file(),
            "{id} missing"
        );
    }
    let orphan = orphan.stdout.trim();
    assert!(
        !objects.join(&orphan[..2]).join(&orphan[2..]).exists(),
        "{orphan} was kept"
    );
}

#[tokio::test]
async fn verify_reports_library_entries_whose_program_is_missing() {
    let ws = Ws::new();
    ws.write("t.llt", &trace(1));
    let import = llmos(&ws, &["traces", "import", "t.llt"], &[]).await;
    assert_eq!(import.code, 0, "{}", import.stderr);
    let ls = llmos(&ws, &["traces", "ls", "--json"], &[]).await.json();
    let id = ls[0]["program"].as_str().unwrap().to_string();
    let path = ws
        .root()
        .join(".llmos/objects")
        .join(&id[..2])
        .join(&id[2..]);
    std::fs::remove_file(path).unwrap();
    let verify = llmos(&ws, &["store", "verify"], &[]).await;
    assert_eq!(verify.code, 1, "{}", verify.stderr);
    assert!(
        verify.stderr.contains(&format!(
            "library entry 1 (`greet visitor number 1`) refers to program {id}, \
             which is missing from the store"
        )),
        "{}",
        verify.stderr
    );
    assert!(
        verify
            .stderr
            .contains("1 library entries without their program"),
        "{}",
        verify.stderr
    );
}
