// Child processes for integration tests: fork/exec with pipes, extra environment and a hard
// timeout. Every call is bounded: a child that outlives its timeout is killed with SIGKILL
// (its whole process group), so a hung client or server can fail a test but never hang it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace testsupport {

struct RunResult {
  int exit_code = 0;       // exit status; 128 + signal if killed by a signal; 127 if exec failed
  std::string out, err;
  bool timed_out = false;  // killed by us after the timeout
};

// Set fields by name (GCC 12 -Wextra rejects designated initializers that skip fields).
struct RunOptions {
  std::string stdin_text;
  std::vector<std::string> env;  // "KEY=VALUE" entries added to (or replacing in) our environment
  std::chrono::seconds timeout{120};
  std::string cwd;  // empty = inherit. Set it when the child runs as another user who may not
                    // be able to read our working directory (initdb refuses to start then).
};

// Runs argv[0] (searched in PATH when it has no '/') and collects its output.
RunResult run(const std::vector<std::string>& argv, const std::string& stdin_text = {},
              const std::vector<std::string>& env = {},
              std::chrono::seconds timeout = std::chrono::seconds(120));
RunResult run_with(const std::vector<std::string>& argv, const RunOptions& options);

// Lower level, for long-lived children (servers). The child gets its own process group (so a
// kill reaches everything it started), SIGPIPE and the signal mask reset, all file descriptors
// but 0-2 closed, and — when die_with_parent — SIGKILL if the test process dies first.
struct SpawnSpec {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // -1 = /dev/null
  bool die_with_parent = true;
  bool new_session = false;  // setsid(): survive a kill of our process group (cleanup guardians)
};
// Throws std::system_error when fork or exec fails (exec errors are reported back through a
// close-on-exec pipe, so "no such file" surfaces here instead of as a silent exit 127).
pid_t spawn(const SpawnSpec& spec);

// Waits for `pid` at most `timeout`; returns the RunResult-style exit code, or -1 if it is
// still running.
int wait_for_exit(pid_t pid, std::chrono::milliseconds timeout);
int decode_wait_status(int status);

// Renders argv as a shell-quoted line, for error messages.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace testsupport
