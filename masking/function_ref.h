// A non-owning reference to a callable (C++26 std::function_ref): callbacks on the per-value path
// without std::function's allocation. The callable must outlive the FunctionRef (pass it down a
// call, never store it).
#pragma once

#include <type_traits>
#include <utility>

namespace masking {

template <class Sig>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  // Plain functions are stored by pointer (a function is not an object to point at).
  FunctionRef(R (*fn)(Args...))  // NOLINT: implicit by design, like std::function_ref
      : fn_(fn), call_([](const FunctionRef& self, Args... args) -> R { return self.fn_(std::forward<Args>(args)...); }) {}

  template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
             !std::is_function_v<std::remove_reference_t<F>> && !std::is_pointer_v<std::remove_cvref_t<F>> &&
             std::is_invocable_r_v<R, F&, Args...>)
  FunctionRef(F&& f)  // NOLINT: implicit by design
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](const FunctionRef& self, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(self.obj_))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(*this, std::forward<Args>(args)...); }

 private:
  void* obj_ = nullptr;
  R (*fn_)(Args...) = nullptr;
  R (*call_)(const FunctionRef&, Args...);
};

}  // namespace masking
