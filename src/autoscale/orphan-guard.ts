// Preloaded (`node --require`) into every worker the local supervisor forks. When the supervisor dies without
// stopping its workers (SIGKILL, a crash), the worker is re-parented; it then asks itself to stop, which runs
// the normal graceful drain instead of leaving an orphan consuming behind nobody's back.
const supervisor = process.ppid;

const timer = setInterval(() => {
  if (process.ppid !== supervisor) {
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }
}, 1_000);
timer.unref();

export {};
