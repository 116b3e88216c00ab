// The sanitizers' options for every test of the asan tier, compiled into each executable: the
// runtimes read them before main, and ASAN_OPTIONS / UBSAN_OPTIONS in the environment still
// override them. A UBSan report prints its stack and, with -fno-sanitize-recover, ends the test.
extern "C" const char* __asan_default_options() { return "strict_string_checks=1"; }
extern "C" const char* __ubsan_default_options() { return "print_stacktrace=1"; }
