//! Threads of their own for password hashing, at a lower CPU priority.
//!
//! bcrypt at cost 12 is about 0.25 s of pure CPU. On tokio's blocking pool a
//! burst of logins kept every core busy at the same priority as the request
//! workers, so every other request waited for a time slice behind bcrypt: in
//! the benchmark, `GET /v1/todos/{id}` p99 went from 8 ms to 71 ms while 16
//! clients logged in. These threads run under `SCHED_BATCH` at nice
//! [`HASHING_NICE`] (Linux; elsewhere at the normal priority): hashing still
//! takes every idle cycle, so logins run at full speed on an idle machine,
//! but a request worker that wakes up gets the CPU first (a nice-10 thread
//! weighs about a tenth of a nice-0 one). Logins slow down only while the
//! machine is saturated, and never stop (nice, unlike `SCHED_IDLE`, cannot
//! starve them).
//!
//! Lowering a thread's priority needs no privilege; raising it back would,
//! which is why hashing gets threads of its own rather than borrowing tokio's
//! blocking pool (whose threads run other work afterwards).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use anyhow::Context as _;

/// The nice value of the hashing threads (0 is normal, 19 the lowest).
pub const HASHING_NICE: i32 = 10;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed set of hashing threads fed through one queue. The threads end
/// when this is dropped (after finishing the jobs already queued).
pub(super) struct HashingThreads {
    queue: mpsc::Sender<Job>,
}

impl HashingThreads {
    /// Starts `count` threads named `bcrypt-<n>`.
    pub(super) fn start(count: usize) -> anyhow::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..count {
            let jobs = Arc::clone(&jobs);
            thread::Builder::new()
                .name(format!("bcrypt-{n}"))
                .spawn(move || work(&jobs))
                .context("starting a password hashing thread failed")?;
        }
        Ok(Self { queue })
    }

    /// Queues `job`. Errors only when every thread has ended.
    pub(super) fn run(&self, job: Job) -> anyhow::Result<()> {
        self.queue
            .send(job)
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))
    }
}

fn work(jobs: &Mutex<mpsc::Receiver<Job>>) {
    if let Err(err) = lower_priority() {
        tracing::warn!(error = %err, "could not lower the priority of a password hashing thread");
    }
    loop {
        // The lock is held only to take a job, never while running one.
        let next = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = next else {
            return; // the queue was dropped: shut down
        };
        // A panicking job must not take a thread with it; its caller sees
        // its result channel closed.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

#[cfg(target_os = "linux")]
fn lower_priority() -> Result<(), thread_priority::Error> {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    // thread-priority maps 0..=99 onto nice 19..=-20 (nice = -20 +
    // trunc(39 * (1 - p / 99))): 22 is nice 10. A test reads it back.
    const CROSSPLATFORM_NICE_10: u8 = 22;
    let priority = ThreadPriorityValue::try_from(CROSSPLATFORM_NICE_10)
        .map_err(|_| thread_priority::Error::Priority("out of range"))?;
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(priority),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
    )
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() -> Result<(), std::convert::Infallible> {
    Ok(())
}
