//! Threads of their own for password hashing, at a lower CPU priority.
//!
//! bcrypt at cost 12 is about 0.25 s of pure CPU. On tokio's blocking pool a
//! burst of logins kept every core busy at the same priority as the request
//! workers, so every other request waited for a time slice behind bcrypt: in
//! the benchmark, `GET /v1/todos/{id}` p99 went from 8 ms to 71 ms while 16
//! clients logged in. These threads run under `SCHED_BATCH` at nice
//! [`DEFAULT_HASHING_NICE`] unless configured otherwise (`BCRYPT_NICE`;
//! Linux; elsewhere at the normal priority): hashing still
//! takes every idle cycle, so logins run at full speed on an idle machine,
//! but a request worker that wakes up gets the CPU first (a nice-10 thread
//! weighs about a tenth of a nice-0 one). Logins slow down only while the
//! machine is saturated, and never stop (nice, unlike `SCHED_IDLE`, cannot
//! starve them). The price is that logins crawl while requests saturate the
//! CPUs (a few per ten seconds in the benchmark's read flood); a lower nice
//! gives them a larger share then, at the expense of the requests' latency.
//!
//! Lowering a thread's priority needs no privilege; raising it back would,
//! which is why hashing gets threads of its own rather than borrowing tokio's
//! blocking pool (whose threads run other work afterwards).

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};
use std::thread;

use anyhow::Context as _;

/// The nice value of the hashing threads unless configured otherwise (0 is
/// the request workers' priority, 19 the lowest).
pub const DEFAULT_HASHING_NICE: u8 = 10;

/// The highest nice value (the lowest priority) there is.
pub const MAX_HASHING_NICE: u8 = 19;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// A fixed set of hashing threads fed through one queue. The threads end
/// when this is dropped (after finishing the jobs already queued).
pub(super) struct HashingThreads {
    queue: mpsc::Sender<Job>,
}

impl HashingThreads {
    /// Starts `count` threads named `bcrypt-<n>`, at nice `nice` (at most
    /// [`MAX_HASHING_NICE`]).
    pub(super) fn start(count: usize, nice: u8) -> anyhow::Result<Self> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..count {
            let jobs = Arc::clone(&jobs);
            thread::Builder::new()
                .name(format!("bcrypt-{n}"))
                .spawn(move || work(&jobs, nice))
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

fn work(jobs: &Mutex<mpsc::Receiver<Job>>, nice: u8) {
    if let Err(err) = lower_priority(nice) {
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
fn lower_priority(nice: u8) -> Result<(), thread_priority::Error> {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let priority = crossplatform_priority(nice)
        .and_then(|p| ThreadPriorityValue::try_from(p).ok())
        .ok_or(thread_priority::Error::Priority("nice out of range"))?;
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(priority),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
    )
}

/// The thread-priority crate's cross-platform value (0..=99) that it turns
/// into nice `nice` under a normal policy: it maps 0..=99 onto nice
/// 19..=-20 as `-20 + trunc(39 * (1 - p / 99))` (so nice 10 is 22). A test
/// sets each nice this way and reads it back from the kernel.
#[cfg(target_os = "linux")]
fn crossplatform_priority(nice: u8) -> Option<u8> {
    (0..=99_u8).rev().find(|&p| {
        let ratio = 1.0_f32 - f32::from(p) / 99.0;
        // In range by construction: 39 * ratio is within 0..=39.
        #[allow(clippy::cast_possible_truncation)]
        let mapped = (39.0 * ratio) as i32 - 20;
        mapped == i32::from(nice)
    })
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_nice: u8) -> Result<(), std::convert::Infallible> {
    Ok(())
}
