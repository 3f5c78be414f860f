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
  auto file = read_secret_file(path);
  if (!file) {
    ctx.diag.error(field.key, fmt::format("{}: password {}", field.path, file.error()));
    return std::nullopt;
  }
  if (file->world_readable)
    ctx.diag.warning(field.key, fmt::format("{}: password file {} is readable by every user on "
                                            "this machine (chmod o-r)",
                                            field.path, path));
  return std::move(file->content);
}

}  // namespace

std::expected<SecretFile, std::string> read_secret_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return std::unexpected(fmt::format("file {} is a directory, not a file", path));
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return std::unexpected(fmt::format("file {} cannot be read: {}", path, std::strerror(errno)));
  SecretFile out;
  char buffer[4096];
  bool too_big = false;
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file);
    if (n == 0) break;
    out.content.append(buffer, n);
    if (out.content.size() > kMaxPasswordFile) {
      too_big = true;
      break;
    }
  }
  const bool failed = std::ferror(file) != 0;
  struct stat st {};
  out.world_readable = ::fstat(fileno(file), &st) == 0 && (st.st_mode & S_IROTH) != 0;
  std::fclose(file);
  if (failed) return std::unexpected(fmt::format("file {} cannot be read", path));
  if (too_big) return std::unexpected(fmt::format("file {} is larger than 64KiB; is it the right file?", path));
  // Files written with `echo` or an editor end in a newline that is not part of the secret.
  while (!out.content.empty() && (out.content.back() == '\n' || out.content.back() == '\r')) out.content.pop_back();
  if (out.content.empty()) return std::unexpected(fmt::format("file {} is empty", path));
  return out;
}

std::optional<std::string> lookup_env(const LoadContext& ctx, const std::string& name) {
  if (ctx.env) return ctx.env(name);
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}


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
