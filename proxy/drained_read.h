// async_read_some for a plain TCP socket that tells Asio's reactor when a read drained the socket.
//
// Asio 1.22's recv op counts a socket as drained only when recv returns 0 bytes (EOF), so every
// read starts with a speculative recv that fails with EAGAIN before the op is queued for epoll:
// in a request/response relay that is one failed recvfrom per forwarded message (twice per
// pgbench transaction; pgbouncer does none). A short read alone does not prove the socket empty:
// recv returns the last data and consumes a FIN behind it, whose epoll edge may already be gone.
// So the socket has TCP_INQ on and each read asks the kernel (a control message of the same
// recvmsg) how much is left: 0 means drained (after a FIN the kernel says 1), and the op reports
// done_and_exhausted; data arriving later raises a new edge in Asio's edge-triggered epoll, which
// makes the next read try recv first again. Nothing is lost and no recv is spent on EAGAIN.
//
// Built from Asio's detail layer (reactive_socket_recv_op, reactor_op_cancellation), which is
// tied to one Asio release; any other release, a reactor other than epoll, or a kernel without
// TCP_INQ uses async_read_some unchanged.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/version.hpp>
#include <cstddef>
#include <system_error>

#if ASIO_VERSION == 102201 && defined(ASIO_HAS_EPOLL) && !defined(ASIO_HAS_IO_URING_AS_DEFAULT)
#define PGVEIL_DRAINED_READ 1
#include <asio/associated_cancellation_slot.hpp>
#include <asio/detail/bind_handler.hpp>
#include <asio/detail/fenced_block.hpp>
#include <asio/detail/handler_alloc_helpers.hpp>
#include <asio/detail/handler_cont_helpers.hpp>
#include <asio/detail/handler_work.hpp>
#include <asio/detail/memory.hpp>
#include <asio/detail/reactor.hpp>
#include <asio/detail/reactor_op.hpp>
#include <asio/detail/socket_ops.hpp>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

namespace proxy {

#if PGVEIL_DRAINED_READ

namespace drained_read_detail {

namespace ad = asio::detail;

// The recv op: Asio's reactive_socket_recv_op for one buffer, with the short-read rule.
template <class Handler, class IoExecutor>
class RecvOp : public ad::reactor_op {
 public:
  ASIO_DEFINE_HANDLER_PTR(RecvOp);

  RecvOp(const std::error_code& success_ec, ad::socket_type socket, asio::mutable_buffer buffer, Handler& handler,
         const IoExecutor& io_ex)
      : ad::reactor_op(success_ec, &RecvOp::do_perform, &RecvOp::do_complete),
        socket_(socket),
        buffer_(buffer),
        handler_(static_cast<Handler&&>(handler)),
        work_(handler_, io_ex) {}

  // As socket_ops::non_blocking_recv1 for a stream, with recvmsg for the TCP_INQ hint.
  static status do_perform(ad::reactor_op* base) {
    auto* o = static_cast<RecvOp*>(base);
    iovec iov{o->buffer_.data(), o->buffer_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    for (;;) {
      const ssize_t n = ::recvmsg(o->socket_, &msg, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return not_done;
        o->ec_ = std::error_code(errno, asio::error::get_system_category());
        o->bytes_transferred_ = 0;
        return done;
      }
      o->bytes_transferred_ = static_cast<std::size_t>(n);
      if (n == 0) {
        o->ec_ = asio::error::eof;
        return done_and_exhausted;
      }
      o->ec_ = std::error_code();
      int left = -1;   // no hint: not known to be drained
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ) std::memcpy(&left, CMSG_DATA(c), sizeof left);
      return left == 0 ? done_and_exhausted : done;
    }
  }

  // As reactive_socket_recv_op::do_complete: free the op before the upcall.
  static void do_complete(void* owner, ad::operation* base, const std::error_code&, std::size_t) {
    auto* o = static_cast<RecvOp*>(base);
    ptr p = {asio::detail::addressof(o->handler_), o, o};
    ad::handler_work<Handler, IoExecutor> w(static_cast<ad::handler_work<Handler, IoExecutor>&&>(o->work_));
    ad::binder2<Handler, std::error_code, std::size_t> handler(o->handler_, o->ec_, o->bytes_transferred_);
    p.h = asio::detail::addressof(handler.handler_);
    p.reset();
    if (owner) {
      ad::fenced_block b(ad::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  ad::socket_type socket_;
  asio::mutable_buffer buffer_;
  Handler handler_;
  ad::handler_work<Handler, IoExecutor> work_;
};

// As reactive_socket_service_base::reactor_op_cancellation (protected there).
class Cancellation {
 public:
  Cancellation(ad::reactor* r, ad::reactor::per_descriptor_data* data, int descriptor)
      : reactor_(r), data_(data), descriptor_(descriptor) {}
  void operator()(asio::cancellation_type_t type) {
    if (!!(type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                   asio::cancellation_type::total)))
      reactor_->cancel_ops_by_key(descriptor_, *data_, ad::reactor::read_op, this);
  }

 private:
  ad::reactor* reactor_;
  ad::reactor::per_descriptor_data* data_;
  int descriptor_;
};

// basic_socket keeps its implementation protected; a member pointer through a derived class
// reaches it without a cast.
struct ImplAccess : asio::ip::tcp::socket {
  static auto& of(asio::ip::tcp::socket& s) { return s.*(&ImplAccess::impl_); }
};

}  // namespace drained_read_detail

// Turns on the kernel's bytes-left hint for async_drained_read; false if the kernel has none.
inline bool enable_drained_read(asio::ip::tcp::socket& socket) {
  const int one = 1;
  return ::setsockopt(socket.native_handle(), SOL_TCP, TCP_INQ, &one, sizeof one) == 0;
}

// Reads into `buffer` (not empty) like socket.async_read_some, on a socket that
// enable_drained_read() succeeded for; `reactor` is the socket's io_context's reactor
// (asio::use_service<asio::detail::reactor>, looked up once per socket).
template <class Token>
auto async_drained_read(asio::ip::tcp::socket& socket, asio::detail::reactor& reactor, asio::mutable_buffer buffer,
                        Token&& token) {
  namespace d = drained_read_detail;
  auto initiation = [&socket, &reactor, buffer](auto handler) {
    using Handler = decltype(handler);
    auto& io = d::ImplAccess::of(socket);
    auto& impl = io.get_implementation();
    using IoExecutor = std::decay_t<decltype(io.get_executor())>;
    using Op = d::RecvOp<Handler, IoExecutor>;
    const bool is_continuation = asio_handler_cont_helpers::is_continuation(handler);
    auto slot = asio::get_associated_cancellation_slot(handler);
    typename Op::ptr p = {asio::detail::addressof(handler), Op::ptr::allocate(handler), 0};
    p.p = new (p.v) Op(std::error_code(), impl.socket_, buffer, handler, io.get_executor());
    if (slot.is_connected())
      p.p->cancellation_key_ = &slot.template emplace<d::Cancellation>(&reactor, &impl.reactor_data_, impl.socket_);
    if (impl.state_ & asio::detail::socket_ops::non_blocking) {
      reactor.start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, p.p, is_continuation, true);
    } else {
      p.p->ec_ = asio::error::operation_not_supported;   // Stream always sets non_blocking
      reactor.post_immediate_completion(p.p, is_continuation);
    }
    p.v = p.p = 0;
  };
  return asio::async_initiate<Token, void(std::error_code, std::size_t)>(initiation, token);
}

#endif  // PGVEIL_DRAINED_READ

}  // namespace proxy
