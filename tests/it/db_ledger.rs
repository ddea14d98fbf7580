//! The budget ledger: starting balance, exact arithmetic, refusals that name the limit,
//! hold expiry, and concurrent reservations that never overspend.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use llmos::db::{BudgetError, CallCost, Db, INITIAL_BALANCE_MICROS, usd_to_micros};

/// Dollars as the ledger's micro-dollars.
fn d(usd: f64) -> i64 {
    usd_to_micros(usd).expect("an amount of dollars")
}

fn new_db() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(&dir.path().join(".llmos/llmos.db")).expect("open db");
    (dir, db)
}

#[test]
fn new_database_starts_with_ten_dollars_and_no_charges() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    assert_eq!(ledger.balance().unwrap(), d(10.0));
    assert_eq!(INITIAL_BALANCE_MICROS, 10_000_000);
    assert_eq!(ledger.spent_total().unwrap(), 0);
    assert!(ledger.recent_charges(10).unwrap().is_empty());
}

#[test]
fn balance_can_be_set_and_survives_reopening() {
    let (dir, db) = new_db();
    db.ledger().set_balance(d(2.5)).unwrap();
    assert_eq!(db.ledger().balance().unwrap(), d(2.5));
    drop(db);
    let db = Db::open_in(&dir.path().join(".llmos")).unwrap();
    assert_eq!(db.ledger().balance().unwrap(), d(2.5));
}

#[test]
fn negative_balance_is_rejected_naming_the_file() {
    let (_dir, db) = new_db();
    let err = db.ledger().set_balance(-1_000_000).unwrap_err().to_string();
    assert!(err.contains("llmos.db"), "{err}");
    assert!(err.contains("balance -$1.0000"), "{err}");
    assert_eq!(db.ledger().balance().unwrap(), d(10.0));
}

#[test]
fn three_settled_calls_add_up_exactly() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    let costs = [d(0.0105), d(0.000123), d(0.3333)];
    for (i, cost) in costs.iter().enumerate() {
        let hold = ledger.reserve("run-1", d(0.5), None).unwrap();
        assert_eq!(hold.amount_micros(), d(0.5));
        assert_eq!(ledger.held_total().unwrap(), d(0.5));
        let charge = ledger
            .settle(
                hold,
                "anthropic:claude-sonnet-4-5",
                1000 + i as u64,
                500,
                *cost,
            )
            .unwrap();
        assert_eq!(charge.cost_micros, *cost);
        assert_eq!(ledger.held_total().unwrap(), 0);
    }
    let sum: i64 = costs.iter().sum();
    assert_eq!(ledger.spent_total().unwrap(), sum);
    assert_eq!(ledger.run_spent("run-1").unwrap(), sum);
    assert_eq!(ledger.run_spent("other").unwrap(), 0);
    assert_eq!(d(10.0) - ledger.balance().unwrap(), sum);

    let recent = ledger.recent_charges(2).unwrap();
    assert_eq!(recent.len(), 2);
    assert_eq!(recent[0].cost_micros, d(0.3333), "newest first");
    assert_eq!(recent[0].input_tokens, 1002);
    assert_eq!(recent[0].output_tokens, 500);
    assert_eq!(recent[0].run_id, "run-1");
    assert_eq!(recent[0].model, "anthropic:claude-sonnet-4-5");
    assert!(
        recent[0].at.ends_with('Z') && recent[0].at.contains('T'),
        "{}",
        recent[0].at
    );
    assert_eq!(recent[1].cost_micros, d(0.000123));
}

#[test]
fn released_hold_charges_nothing() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    let hold = ledger.reserve("r", d(9.0), None).unwrap();
    assert!(
        ledger.reserve("r", d(1.5), None).is_err(),
        "9 of 10 is held"
    );
    ledger.release(hold).unwrap();
    assert_eq!(ledger.held_total().unwrap(), 0);
    assert_eq!(ledger.balance().unwrap(), d(10.0));
    assert!(ledger.recent_charges(5).unwrap().is_empty());
    let hold = ledger.reserve("r", d(1.5), None).unwrap();
    ledger.release(hold).unwrap();
}

#[test]
fn worst_case_over_the_balance_is_refused_naming_the_balance() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    ledger.set_balance(d(0.01)).unwrap();
    let err = ledger.reserve("r", d(0.045), None).unwrap_err();
    assert!(matches!(err, BudgetError::Balance { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "LLM call refused: worst case $0.0450 exceeds the balance ($0.0100 left); \
         raise it with `llmos budget --set USD`"
    );
    assert_eq!(
        ledger.held_total().unwrap(),
        0,
        "nothing held after a refusal"
    );
    // Exactly the balance fits.
    let hold = ledger.reserve("r", d(0.01), None).unwrap();
    ledger.release(hold).unwrap();
}

#[test]
fn worst_case_over_the_run_budget_is_refused_naming_the_budget() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    let err = ledger.reserve("r", d(0.045), Some(d(0.01))).unwrap_err();
    assert!(matches!(err, BudgetError::RunBudget { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "LLM call refused: worst case $0.0450 exceeds the run budget --budget $0.01 ($0.0100 left)"
    );
}

#[test]
fn run_budget_counts_the_runs_charges_and_holds_but_not_other_runs() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    let budget = Some(d(0.10));
    let h = ledger.reserve("run-a", d(0.05), budget).unwrap();
    ledger.settle(h, "m", 1, 1, d(0.04)).unwrap();
    let held = ledger.reserve("run-a", d(0.05), budget).unwrap();
    // Spent d(0.04), held d(0.05): d(0.01) left of the run's 0.10.
    let err = ledger.reserve("run-a", d(0.02), budget).unwrap_err();
    match &err {
        BudgetError::RunBudget {
            left_micros,
            budget_micros,
            ..
        } => {
            assert_eq!(*left_micros, d(0.01));
            assert_eq!(*budget_micros, d(0.10));
        }
        other => panic!("expected the run budget to refuse, got {other:?}"),
    }
    assert!(
        err.to_string().contains("--budget $0.10 ($0.0100 left)"),
        "{err}"
    );
    // Another run has its own budget.
    let other = ledger.reserve("run-b", d(0.09), budget).unwrap();
    ledger.release(other).unwrap();
    ledger.release(held).unwrap();
    let h = ledger.reserve("run-a", d(0.06), budget).unwrap();
    ledger.release(h).unwrap();
}

#[test]
fn when_both_limits_refuse_the_tighter_one_is_named() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    ledger.set_balance(d(0.001)).unwrap();
    let err = ledger.reserve("r", d(0.045), Some(d(0.01))).unwrap_err();
    assert!(matches!(err, BudgetError::Balance { .. }), "{err}");
    ledger.set_balance(d(5.0)).unwrap();
    let err = ledger.reserve("r", d(6.0), Some(d(0.01))).unwrap_err();
    assert!(matches!(err, BudgetError::RunBudget { .. }), "{err}");
}

#[test]
fn free_calls_are_never_refused_and_bad_amounts_are() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    ledger.set_balance(0).unwrap();
    let hold = ledger.reserve("r", 0, Some(0)).unwrap();
    ledger.settle(hold, "openai:llama3", 10, 10, 0).unwrap();
    let err = ledger.reserve("r", -1, None).unwrap_err();
    assert!(matches!(err, BudgetError::InvalidAmount { .. }), "{err}");
    let err = ledger.reserve("r", d(0.01), Some(-1_000_000)).unwrap_err();
    assert!(err.to_string().contains("run budget -$1.0000"), "{err}");
}

#[test]
fn a_cost_above_the_hold_is_cut_at_the_balance_and_recorded_as_an_overrun() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    ledger.set_balance(d(0.01)).unwrap();
    let hold = ledger
        .reserve_call("r", "anthropic:m", CallCost::fixed(d(0.004)), None)
        .unwrap();
    let settled = ledger
        .settle_call(hold.hold, "anthropic:m", "anthropic", (1, 1), d(0.012))
        .unwrap();
    // The balance pays what it has, never less than zero.
    assert_eq!(settled.charge.cost_micros, d(0.01));
    assert_eq!(ledger.balance().unwrap(), 0);
    let o = settled.overrun.expect("an overrun");
    assert_eq!(
        (o.provider.as_str(), o.model.as_str()),
        ("anthropic", "anthropic:m")
    );
    assert_eq!(
        (o.reserved_micros, o.cost_micros, o.charged_micros),
        (d(0.004), d(0.012), d(0.01))
    );
    assert_eq!(ledger.recent_overruns(5).unwrap(), vec![o]);
    assert!(ledger.reserve("r", d(0.0001), None).is_err());
    // Within its hold, a cost is no overrun.
    ledger.set_balance(d(1.0)).unwrap();
    let hold = ledger.reserve("r", d(0.5), None).unwrap();
    let settled = ledger
        .settle_call(hold, "m", "openai", (1, 1), d(0.5))
        .unwrap();
    assert_eq!(settled.overrun, None);
}

#[test]
fn max_tokens_is_lowered_to_what_the_balance_pays_and_refused_below_the_floor() {
    let (_dir, db) = new_db();
    let ledger = db.ledger();
    ledger.set_balance(d(0.01)).unwrap();
    // $0.002 of input, then $0.00001 a token: the balance pays 800 of the 4096.
    let cost = CallCost {
        fixed_micros: d(0.002),
        per_token_micros: 10.0,
        max_tokens: 4096,
        min_tokens: 256,
    };
    let g = ledger.reserve_call("r", "m", cost, None).unwrap();
    assert_eq!(g.max_tokens, 800);
    assert_eq!(g.hold.amount_micros(), d(0.01));
    ledger.release(g.hold).unwrap();
    // A run budget of $0.005 pays 300.
    let g = ledger.reserve_call("r", "m", cost, Some(d(0.005))).unwrap();
    assert_eq!(g.max_tokens, 300);
    ledger.release(g.hold).unwrap();
    // $0.004 pays 200, below the floor of 256: refused, naming the whole worst case.
    let err = ledger
        .reserve_call("r", "m", cost, Some(d(0.004)))
        .unwrap_err();
    assert!(err.to_string().contains("worst case $0.0430"), "{err}");
    // Money enough: the whole max_tokens.
    ledger.set_balance(d(1.0)).unwrap();
    let g = ledger.reserve_call("r", "m", cost, None).unwrap();
    assert_eq!(g.max_tokens, 4096);
}

#[test]
fn holds_of_crashed_processes_are_charged_when_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    let crashed = Db::open(&path).unwrap();
    let forgotten = crashed
        .ledger()
        .reserve("crashed-run", d(9.0), None)
        .unwrap();
    std::mem::forget(forgotten);
    drop(crashed);

    let db = Db::open(&path).unwrap();
    assert_eq!(db.ledger().held_total().unwrap(), d(9.0));
    assert!(
        db.ledger().reserve("r", d(2.0), None).is_err(),
        "the fresh hold counts"
    );

    // Age the hold past the 15-minute lifetime, as if its process died long ago (this
    // process took it, so only its age can tell).
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "UPDATE holds SET created_ms = created_ms - 16 * 60 * 1000",
        [],
    )
    .unwrap();
    assert_eq!(db.ledger().sweep_dead_holds().unwrap(), 1);
    assert_eq!(db.ledger().held_total().unwrap(), 0);
    // Charged at its amount, not dropped.
    assert_eq!(db.ledger().balance().unwrap(), d(1.0));
    let charge = &db.ledger().recent_charges(1).unwrap()[0];
    assert_eq!(
        (charge.kind.as_str(), charge.cost_micros),
        ("expired_hold", d(9.0))
    );
    assert_eq!(charge.run_id, "crashed-run");
    assert!(db.ledger().reserve("r", d(1.5), None).is_err());
    let hold = db.ledger().reserve("r", d(0.5), None).unwrap();
    db.ledger().release(hold).unwrap();
    assert_eq!(db.ledger().sweep_dead_holds().unwrap(), 0, "charged once");
}

#[test]
fn a_hold_charged_as_dead_is_corrected_when_its_call_settles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    let a = Db::open(&path).unwrap();
    let slow = a.ledger().reserve("a", d(9.0), None).unwrap();
    let released = a.ledger().reserve("a", d(0.5), None).unwrap();
    let strict = Db::open(&path).unwrap();
    assert!(strict.ledger().reserve("b", d(9.0), None).is_err());
    // A hold lifetime of zero takes both for dead and charges them.
    let eager = Db::open(&path).unwrap().with_hold_ttl(Duration::ZERO);
    assert_eq!(eager.ledger().sweep_dead_holds().unwrap(), 2);
    assert_eq!(eager.ledger().balance().unwrap(), d(0.5));
    // The slow call settles after all: its real cost replaces the dead hold's charge.
    a.ledger().settle(slow, "m", 1, 1, d(1.0)).unwrap();
    assert_eq!(a.ledger().balance().unwrap(), d(8.5));
    // The other is released: its charge is undone.
    a.ledger().release(released).unwrap();
    assert_eq!(a.ledger().balance().unwrap(), d(9.0));
    let kinds: Vec<String> = a
        .ledger()
        .recent_charges(5)
        .unwrap()
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(kinds, ["call"]);
}

/// Eight threads, each with its own connection, reserve and settle until the money runs
/// out. Every call costs its full worst case, so exactly balance / worst calls can be
/// paid: one more would mean two processes took the same dollars.
#[test]
fn eight_concurrent_spenders_never_overspend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    Db::open(&path)
        .unwrap()
        .ledger()
        .set_balance(d(1.0))
        .unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let path = path.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let db = Db::open(&path).expect("open in thread");
                barrier.wait();
                let mut paid = Vec::new();
                for _ in 0..10 {
                    match db.ledger().reserve(&format!("run-{t}"), d(0.05), None) {
                        Ok(hold) => {
                            std::thread::sleep(Duration::from_millis(2));
                            let c = db.ledger().settle(hold, "m", 100, 100, d(0.05)).unwrap();
                            paid.push(c.cost_micros);
                        }
                        Err(BudgetError::Balance { .. }) => {}
                        Err(other) => panic!("unexpected error: {other}"),
                    }
                }
                paid
            })
        })
        .collect();
    let paid: Vec<i64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    let db = Db::open(&path).unwrap();
    assert_eq!(paid.len(), 20, "exactly $1.00 / $0.05 calls fit");
    assert_eq!(db.ledger().balance().unwrap(), 0);
    assert_eq!(db.ledger().spent_total().unwrap(), d(1.0));
    assert_eq!(db.ledger().recent_charges(100).unwrap().len(), 20);
}

/// Concurrent calls whose real costs are below their worst case: the final balance is
/// exactly the start minus the sum of what was charged, and never below zero.
#[test]
fn eight_concurrent_spenders_keep_exact_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    Db::open(&path)
        .unwrap()
        .ledger()
        .set_balance(d(0.5))
        .unwrap();
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let db = Db::open(&path).expect("open in thread");
                let mut paid = 0i64;
                for i in 0..15u64 {
                    let worst = d(0.03);
                    let Ok(hold) = db.ledger().reserve("shared-run", worst, Some(d(0.4))) else {
                        continue;
                    };
                    let cost = (1 + t * 997 + i * 7919) as i64 % worst;
                    let c = db.ledger().settle(hold, "m", 1, 1, cost).unwrap();
                    paid += c.cost_micros;
                }
                paid
            })
        })
        .collect();
    let paid: i64 = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    let db = Db::open(&path).unwrap();
    let ledger = db.ledger();
    assert!(paid > 0);
    assert_eq!(ledger.spent_total().unwrap(), paid);
    assert_eq!(d(0.5) - ledger.balance().unwrap(), paid);
    assert!(ledger.balance().unwrap() >= 0);
    assert!(ledger.run_spent("shared-run").unwrap() <= d(0.4));
    assert_eq!(ledger.held_total().unwrap(), 0);
}

/// The child side of [`eight_processes_never_overspend`]: does nothing unless started by
/// it with the database path in `LLMOS_TEST_LEDGER_DB`.
#[test]
fn child_spender() {
    let Ok(path) = std::env::var("LLMOS_TEST_LEDGER_DB") else {
        return;
    };
    let db = Db::open(std::path::Path::new(&path)).expect("open in child");
    let mut paid = 0;
    for _ in 0..10 {
        if let Ok(hold) = db.ledger().reserve("proc-run", d(0.05), None) {
            std::thread::sleep(Duration::from_millis(2));
            db.ledger()
                .settle(hold, "m", 1, 1, d(0.05))
                .expect("settle");
            paid += 1;
        }
    }
    println!("PAID={paid}");
}

/// Eight separate processes (this test binary re-run as [`child_spender`]) share one
/// database file: exactly balance / worst calls are paid, the balance ends at zero.
#[test]
fn eight_processes_never_overspend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("llmos.db");
    Db::open(&path)
        .unwrap()
        .ledger()
        .set_balance(d(1.0))
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let child = crate::support::test_name(module_path!(), "child_spender");
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", &child, "--nocapture", "--test-threads=1"])
                .env("LLMOS_TEST_LEDGER_DB", &path)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    let mut paid = 0;
    for child in children {
        let out = child.wait_with_output().expect("child output");
        assert!(out.status.success(), "child failed");
        let text = String::from_utf8_lossy(&out.stdout);
        let n: usize = text
            .lines()
            .find_map(|l| l.split_once("PAID=").map(|(_, n)| n))
            .and_then(|n| n.trim().parse().ok())
            .expect("child reports what it paid");
        paid += n;
    }
    let db = Db::open(&path).unwrap();
    assert_eq!(paid, 20);
    assert_eq!(db.ledger().balance().unwrap(), 0);
    assert_eq!(db.ledger().recent_charges(100).unwrap().len(), 20);
}
