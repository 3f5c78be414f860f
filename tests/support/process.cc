#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace testsupport {
namespace {

using Clock = std::chrono::steady_clock;

// After the direct child exits, grandchildren it left behind may still hold its stdout open.
// Read what they write for this long, then stop instead of waiting for an EOF that may never come.
constexpr auto kDrainAfterExit = std::chrono::seconds(2);
constexpr auto kPollSlice = std::chrono::milliseconds(50);

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  for (const auto& entry : extra) {
    const auto key = entry.substr(0, entry.find('='));
    std::erase_if(env, [&](const std::string& existing) {
      return existing.size() > key.size() && existing.compare(0, key.size(), key) == 0 &&
             existing[key.size()] == '=';
    });
    // "KEY" without '=' removes KEY from the child's environment.
    if (entry.find('=') != std::string::npos) env.push_back(entry);
  }
  return env;
}

// PATH lookup happens in the parent: after fork() in a possibly multi-threaded process only
// async-signal-safe calls are allowed, and execvp may allocate.
std::string resolve_executable(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : env) {
    if (entry.starts_with("PATH=")) path = entry.substr(5);
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find(':', start), path.size());
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return name;  // execve reports ENOENT
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

// Runs in the forked child: async-signal-safe calls only.
[[noreturn]] void exec_child(const SpawnSpec& spec, const char* path, char* const* argv,
                             char* const* envp, int error_fd, pid_t parent) {
  const auto fail = [error_fd](int error) {
    ssize_t ignored = ::write(error_fd, &error, sizeof error);
    (void)ignored;
    ::_exit(127);
  };
  if (spec.new_session) {
    ::setsid();
  } else {
    ::setpgid(0, 0);
  }
  if (spec.die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  }
  const int wanted[3] = {spec.stdin_fd, spec.stdout_fd, spec.stderr_fd};
  for (int target = 0; target < 3; ++target) {
    int fd = wanted[target];
    if (fd < 0) fd = ::open("/dev/null", O_RDWR);
    if (fd < 0) fail(errno);
    if (fd != target && ::dup2(fd, target) < 0) fail(errno);
  }
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
  sigset_t empty;
  ::sigemptyset(&empty);
  ::sigprocmask(SIG_SETMASK, &empty, nullptr);
  if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) fail(errno);
  if (error_fd > 3) ::close_range(3, static_cast<unsigned>(error_fd) - 1, 0);
  ::close_range(static_cast<unsigned>(error_fd) + 1, ~0U, 0);
  ::execve(path, argv, envp);
  fail(errno);
  ::_exit(127);  // not reached: fail() exits, but the lambda cannot say so
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  read_end.fd = fds[0];
  write_end.fd = fds[1];
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is available; returns false at EOF or on a hard error.
bool drain(int fd, std::string& into) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

void ignore_sigpipe_once() {
  // A child that exits without reading its stdin would otherwise kill the test process with
  // SIGPIPE on our next write; we want EPIPE instead.
  static std::once_flag once;
  std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
}

}  // namespace

int decode_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return decode_wait_status(status);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

pid_t spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("spawn: empty argv");
  std::vector<std::string> env = merged_environment(spec.env);
  const std::string path = resolve_executable(spec.argv.front(), env);
  std::vector<std::string> args = spec.argv;
  const auto argv = c_strings(args);
  const auto envp = c_strings(env);

  Fd error_read, error_write;
  make_pipe(error_read, error_write);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) exec_child(spec, path.c_str(), argv.data(), envp.data(), error_write.fd, parent);
  error_write.reset();

  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_read.fd, &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    throw std::system_error(child_errno, std::generic_category(), "cannot execute " + path);
  }
  return pid;
}

RunResult run(const std::vector<std::string>& argv, const std::string& stdin_text,
              const std::vector<std::string>& env, std::chrono::seconds timeout) {
  return run_with(argv, RunOptions{stdin_text, env, timeout, {}});
}

RunResult run_with(const std::vector<std::string>& argv, const RunOptions& options) {
  ignore_sigpipe_once();
  Fd in_read, in_write, out_read, out_write, err_read, err_write;
  make_pipe(in_read, in_write);
  make_pipe(out_read, out_write);
  make_pipe(err_read, err_write);

  RunResult result;
  pid_t pid;
  try {
    pid = spawn(SpawnSpec{argv, options.env, options.cwd, in_read.fd, out_write.fd, err_write.fd,
                          true, false});
  } catch (const std::system_error& e) {
    result.exit_code = 127;
    result.err = e.what();
    return result;
  }
  in_read.reset();
  out_write.reset();
  err_write.reset();
  set_nonblocking(in_write.fd);
  set_nonblocking(out_read.fd);
  set_nonblocking(err_read.fd);

  std::size_t written = 0;
  if (options.stdin_text.empty()) in_write.reset();
  const auto deadline = Clock::now() + options.timeout;
  std::optional<Clock::time_point> drain_deadline;
  int status = 0;
  bool exited = false;

  for (;;) {
    if (!exited) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        exited = true;
        drain_deadline = Clock::now() + kDrainAfterExit;
        in_write.reset();  // nobody will read it any more
      }
    }
    if (exited && out_read.fd < 0 && err_read.fd < 0) break;
    const auto now = Clock::now();
    if (exited && now >= *drain_deadline) break;
    if (!exited && now >= deadline) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      drain(out_read.fd, result.out);
      drain(err_read.fd, result.err);
      break;
    }

    pollfd fds[3];
    nfds_t count = 0;
    if (in_write.fd >= 0) fds[count++] = pollfd{in_write.fd, POLLOUT, 0};
    if (out_read.fd >= 0) fds[count++] = pollfd{out_read.fd, POLLIN, 0};
    if (err_read.fd >= 0) fds[count++] = pollfd{err_read.fd, POLLIN, 0};
    const auto limit = exited ? *drain_deadline : deadline;
    const auto slice = std::clamp(
        std::chrono::duration_cast<std::chrono::milliseconds>(limit - now),
        std::chrono::milliseconds(1), std::chrono::milliseconds(kPollSlice));
    if (count == 0) {
      std::this_thread::sleep_for(slice);
      continue;
    }
    if (::poll(fds, count, static_cast<int>(slice.count())) < 0 && errno != EINTR) break;
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_write.fd) {
        const ssize_t n = ::write(in_write.fd, options.stdin_text.data() + written,
                                  options.stdin_text.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == options.stdin_text.size()) {
          in_write.reset();  // EOF for the child (or it closed its end: EPIPE)
        }
      } else if (fds[i].fd == out_read.fd) {
        if (!drain(out_read.fd, result.out)) out_read.reset();
      } else if (fds[i].fd == err_read.fd) {
        if (!drain(err_read.fd, result.err)) err_read.reset();
      }
    }
  }
  result.exit_code = decode_wait_status(status);
  if (result.timed_out) {
    result.err += "\n[testsupport] killed after " + std::to_string(options.timeout.count()) +
                  " s timeout: " + shell_quote(argv) + "\n";
  }
  return result;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
    });
    if (plain) {
      line += arg;
      continue;
    }
    line += '\'';
    for (char c : arg) {
      if (c == '\'') {
        line += "'\\''";
      } else {
        line += c;
      }
    }
    line += '\'';
  }
  return line;
}

}  // namespace testsupport
