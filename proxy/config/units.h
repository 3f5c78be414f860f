// Human-friendly durations and sizes as written in pgveil.yaml.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace proxy {

// "500ms", "90s", "15m", "4h", "2d" and combinations from the largest unit down ("1h30m",
// "1d12h"). "0" alone means zero; any other number needs a unit, because a bare "30" is as
// likely meant as seconds as minutes. Whole numbers only. The error text names the input and
// shows valid forms; callers prefix it with the key path.
std::expected<std::chrono::milliseconds, std::string> parse_duration(std::string_view text);

// Plain bytes ("65536") or a number with a unit: B, kB/KB/KiB/K, MB/MiB/M, GB/GiB/G, TB/TiB/T
// (case-insensitive, optional space). Every unit is 1024-based, as in PostgreSQL's own settings
// (shared_buffers = 128MB is 128 * 1024 * 1024 bytes).
std::expected<std::uint64_t, std::string> parse_size(std::string_view text);

// The shortest exact spelling parse_duration accepts ("1h30m", "500ms", "0"), for messages.
std::string format_duration(std::chrono::milliseconds duration);
// "64MiB", "1536KiB" or "1000B": exact, for messages.
std::string format_size(std::uint64_t bytes);

}  // namespace proxy
