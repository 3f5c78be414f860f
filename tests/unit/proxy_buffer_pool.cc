// BufferPool: the relay takes a buffer per wake-up and gives it back when drained, so the pool
// must hand the same buffers out again (a fresh 64 KiB aligned allocation per read showed up as
// two memalign calls per pgbench transaction in callgrind).
#include <catch2/catch.hpp>

#include <thread>

#include "proxy/io_buffer.h"

using proxy::BufferPool;
using proxy::IoBuffer;

namespace {
// Each case runs on its own thread so that it starts with an empty thread-local pool.
template <class F>
void on_fresh_thread(F f) {
  std::thread t(f);
  t.join();
}
}  // namespace

TEST_CASE("buffer pool: a released buffer is handed out again", "[proxy][pool]") {
  on_fresh_thread([] {
    IoBuffer a = BufferPool::acquire(65536);
    const std::uint8_t* raw = a.raw();
    a.commit(10);
    BufferPool::release(std::move(a));
    CHECK(BufferPool::pooled() == 1);
    IoBuffer b = BufferPool::acquire(65536);
    CHECK(b.raw() == raw);
    CHECK(b.empty());
    CHECK(BufferPool::pooled() == 0);
  });
}

TEST_CASE("buffer pool: a buffer of another size does not stop the standard ones from pooling", "[proxy][pool]") {
  on_fresh_thread([] {
    IoBuffer standard = BufferPool::acquire(65536);
    BufferPool::release(IoBuffer(512));      // e.g. the startup leftover handed to the relay
    CHECK(BufferPool::pooled() == 0);        // freed, not kept
    IoBuffer grown = BufferPool::acquire(65536);
    grown.reserve(1 << 20);                  // grown for a large message
    BufferPool::release(std::move(grown));
    CHECK(BufferPool::pooled() == 0);
    const std::uint8_t* raw = standard.raw();
    BufferPool::release(std::move(standard));
    REQUIRE(BufferPool::pooled() == 1);
    CHECK(BufferPool::acquire(65536).raw() == raw);
  });
}

TEST_CASE("buffer pool: a new buffer size (reload) drops the stale buffers", "[proxy][pool]") {
  on_fresh_thread([] {
    BufferPool::release(BufferPool::acquire(65536));
    CHECK(BufferPool::pooled() == 1);
    IoBuffer b = BufferPool::acquire(16384);
    CHECK(b.capacity() == 16384);
    CHECK(BufferPool::pooled() == 0);
    BufferPool::release(std::move(b));
    CHECK(BufferPool::pooled() == 1);
  });
}
