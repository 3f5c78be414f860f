#include "proxy/io_buffer.h"

#include <cstdlib>
#include <new>
#include <utility>

namespace proxy {
namespace {

constexpr std::size_t kAlignment = 4096;

std::uint8_t* allocate(std::size_t capacity) {
  const std::size_t rounded = (capacity + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<std::uint8_t*>(p);
}

// Holds buffers of one capacity: the relay's buffer_size, learnt from acquire(). A buffer of any
// other size (a startup leftover, one grown for a large message) is freed on release rather than
// kept: one such buffer at the back of the list would otherwise turn away every standard one.
struct Pool {
  std::size_t capacity = 0;
  std::vector<IoBuffer> free;
};
thread_local Pool pool;

}  // namespace

IoBuffer::IoBuffer(std::size_t capacity) : data_(allocate(capacity)), capacity_(capacity) {}

IoBuffer::IoBuffer(IoBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

IoBuffer& IoBuffer::operator=(IoBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

IoBuffer::~IoBuffer() { std::free(data_); }

void IoBuffer::consume(std::size_t n) {
  if (n >= size_) {
    size_ = 0;
    return;
  }
  std::memmove(data_, data_ + n, size_ - n);
  size_ -= n;
}

void IoBuffer::reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  std::uint8_t* fresh = allocate(capacity);
  if (size_ > 0) std::memcpy(fresh, data_, size_);
  std::free(data_);
  data_ = fresh;
  capacity_ = capacity;
}

IoBuffer BufferPool::acquire(std::size_t capacity) {
  if (capacity != pool.capacity) {   // buffer_size changed (SIGHUP): the pooled ones are stale
    pool.free.clear();
    pool.capacity = capacity;
  }
  if (pool.free.empty()) return IoBuffer(capacity);
  IoBuffer b = std::move(pool.free.back());
  pool.free.pop_back();
  b.clear();
  return b;
}

void BufferPool::release(IoBuffer&& buffer) {
  if (!buffer.allocated()) return;
  if (buffer.capacity() != pool.capacity || pool.free.size() >= kMaxPooled) {
    IoBuffer drop = std::move(buffer);
    return;
  }
  buffer.clear();
  pool.free.push_back(std::move(buffer));
}

std::size_t BufferPool::pooled() { return pool.free.size(); }

}  // namespace proxy
