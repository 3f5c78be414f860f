// Receive buffers for the relay: 4 KiB-aligned, recycled through a per-thread pool.
//
// Aligned because glibc 2.36's memcpy drops ~30x for 8-64 KiB copies whose source and
// destination are 16 bytes apart modulo 4096, which is what two adjacent malloc'd buffers give
// (sourceware bug 30994, STYLE.md). Pooled because an idle session holds no buffer at all: the
// relay takes one when the socket becomes readable and gives it back when nothing is left over,
// which keeps idle sessions small (issue #2: <= 64 KiB per idle session).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace proxy {

class IoBuffer {
 public:
  IoBuffer() = default;
  explicit IoBuffer(std::size_t capacity);
  IoBuffer(IoBuffer&& other) noexcept;
  IoBuffer& operator=(IoBuffer&& other) noexcept;
  IoBuffer(const IoBuffer&) = delete;
  IoBuffer& operator=(const IoBuffer&) = delete;
  ~IoBuffer();

  bool allocated() const { return data_ != nullptr; }
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  std::span<std::uint8_t> free_space() { return {data_ + size_, capacity_ - size_}; }
  std::span<const std::uint8_t> data() const { return {data_, size_}; }
  std::uint8_t* raw() { return data_; }
  void commit(std::size_t n) { size_ += n; }
  // Drops the first n bytes, moving what is left to the front (at most one partial message).
  void consume(std::size_t n);
  void clear() { size_ = 0; }
  // Grows to at least `capacity`, keeping the content (for a message larger than the buffer).
  void reserve(std::size_t capacity);

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

// Per-thread free list of standard-size buffers. Every session of a worker runs on that
// worker's thread, so no locking is needed.
class BufferPool {
 public:
  static IoBuffer acquire(std::size_t capacity);
  // Returns the buffer to the pool, or frees it when its size is not the one acquire() hands out
  // or the pool is full.
  static void release(IoBuffer&& buffer);
  static std::size_t pooled();   // buffers held by this thread's pool (for tests)
  static constexpr std::size_t kMaxPooled = 256;
};

}  // namespace proxy
