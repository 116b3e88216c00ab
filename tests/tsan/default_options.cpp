// ThreadSanitizer's options for every test of the tsan tier, compiled into each executable: the
// runtime reads them before main, and TSAN_OPTIONS in the environment still overrides them.
// halt_on_error: the first report fails the test, so ctest shows it as a failure.
extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:suppressions=" GB_TSAN_SUPPRESSIONS;
}
