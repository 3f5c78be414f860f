// Brokered upstream credentials. The password is resolved at load time so a missing secret stops
// start-up (or a reload) instead of failing the first session; messages name the variable or
// file it came from, never the value (DESIGN.md: secrets never appear in logs or errors).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "proxy/config/sections.h"

namespace proxy::config_detail {
namespace {

// A password file holding more than this is almost certainly the wrong file (a key bundle, a
// log); refusing it early keeps a mistake from being sent upstream as a password.
constexpr std::size_t kMaxPasswordFile = 64 * 1024;

std::optional<std::string> read_password_file(LoadContext& ctx, const Field& field,
                                              const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    ctx.diag.error(field.key, fmt::format("{}: {} is a directory, not a file", field.path, path));
    return std::nullopt;
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    ctx.diag.error(field.key, fmt::format("{}: cannot read password file {}: {}", field.path, path,
                                          std::strerror(errno)));
    return std::nullopt;
  }
  std::string content;
  char buffer[4096];
  bool too_big = false;
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file);
    if (n == 0) break;
    content.append(buffer, n);
    if (content.size() > kMaxPasswordFile) {
      too_big = true;
      break;
    }
  }
  const bool failed = std::ferror(file) != 0;
  struct stat st {};
  const bool world_readable = ::fstat(fileno(file), &st) == 0 && (st.st_mode & S_IROTH) != 0;
  std::fclose(file);
  if (failed) {
    ctx.diag.error(field.key, fmt::format("{}: cannot read password file {}", field.path, path));
    return std::nullopt;
  }
  if (too_big) {
    ctx.diag.error(field.key, fmt::format("{}: password file {} is larger than 64KiB; is it the "
                                          "right file?",
                                          field.path, path));
    return std::nullopt;
  }
  // Files written with `echo` or an editor end in a newline that is not part of the password.
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) content.pop_back();
  if (content.empty()) {
    ctx.diag.error(field.key, fmt::format("{}: password file {} is empty (omit password_file "
                                          "for a login without a password)",
                                          field.path, path));
    return std::nullopt;
  }
  if (world_readable)
    ctx.diag.warning(field.key, fmt::format("{}: password file {} is readable by every user on "
                                            "this machine (chmod o-r)",
                                            field.path, path));
  return content;
}

std::optional<std::string> lookup_env(const LoadContext& ctx, const std::string& name) {
  if (ctx.env) return ctx.env(name);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

}  // namespace

Login read_login(LoadContext& ctx, const Field& field) {
  Login login;
  login.name = field.key.Scalar();
  login.user = login.name;
  login.password_source = "none";
  MapFields m(ctx.diag, field, {"user", "password_env", "password_file", "password"});
  if (!m.is_map()) return login;

  if (const Field* f = m.find("user"))
    if (auto v = read_string(ctx.diag, *f)) login.user = *v;

  const Field* env = m.find("password_env");
  const Field* file = m.find("password_file");
  const Field* inline_password = m.find("password");
  const int sources = (env != nullptr) + (file != nullptr) + (inline_password != nullptr);
  if (sources > 1) {
    ctx.diag.error(field.key, fmt::format("{}: give the password one way only: password_env, "
                                          "password_file or password",
                                          field.path));
    return login;
  }
  if (env != nullptr) {
    auto name = read_string(ctx.diag, *env);
    if (!name) return login;
    login.password_source = fmt::format("env {}", *name);
    auto value = lookup_env(ctx, *name);
    if (!value) {
      ctx.diag.error(env->key, fmt::format("{}: environment variable {} is not set", env->path,
                                           *name));
    } else if (value->empty()) {
      ctx.diag.error(env->key, fmt::format("{}: environment variable {} is empty", env->path,
                                           *name));
    } else {
      login.password = std::move(*value);
    }
  } else if (file != nullptr) {
    auto path = read_path(ctx.diag, *file, ctx.base_dir);
    if (!path) return login;
    login.password_source = fmt::format("file {}", *path);
    if (auto value = read_password_file(ctx, *file, *path)) login.password = std::move(*value);
  } else if (inline_password != nullptr) {
    if (auto value = read_secret_string(ctx.diag, *inline_password)) {
      login.password = std::move(*value);
      login.password_source = "inline";
      ctx.diag.warning(inline_password->key,
                       fmt::format("{}: password written in the config file; prefer "
                                   "password_env or password_file",
                                   inline_password->path));
    }
  }
  return login;
}

}  // namespace proxy::config_detail
