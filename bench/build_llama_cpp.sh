#!/usr/bin/env bash
# Builds llama.cpp's own tools as the side-by-side peer for gapbench's speed comparisons:
# llama-bench, llama-perplexity, and llama-quantize (which writes Q4_K_M / Q5_K_M / Q6_K files
# from an F16 one as users' files are made, to check gapbench runs them). The source is the
# llama.cpp vendored in the pinned PyPI sdist of llama-cpp-python (PyPI is reachable where GitHub
# may not be). Output: .peer/llama.cpp/bin.
# The x86 extensions are this CPU's (read from /proc/cpuinfo; GGML_NATIVE would also turn on AMX),
# so the peer runs its best kernels here and never an instruction the CPU lacks (AVX-512 on an
# AVX2-only EPYC). AMX is left out: on some VMs the CPU reports AMX but the kernel does not grant
# it, and ggml's AMX path then crashes inside llama_decode.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.3.36
PEER=.peer/llama.cpp
if [ -x "$PEER/bin/llama-bench" ] && [ -x "$PEER/bin/llama-perplexity" ] && [ -x "$PEER/bin/llama-quantize" ]; then
  echo "build_llama_cpp: $PEER/bin already built"; exit 0
fi
mkdir -p .peer/src
if [ ! -d ".peer/src/llama_cpp_python-$VERSION" ]; then
  python3 -m pip download -q --no-deps --no-binary :all: "llama-cpp-python==$VERSION" -d .peer/src
  tar -xzf ".peer/src/llama_cpp_python-$VERSION.tar.gz" -C .peer/src
fi
SRC=".peer/src/llama_cpp_python-$VERSION/vendor/llama.cpp"
has() { grep -qw "$1" /proc/cpuinfo && echo ON || echo OFF; }
cmake -S "$SRC" -B "$PEER/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF \
  -DGGML_AVX="$(has avx)" -DGGML_AVX2="$(has avx2)" -DGGML_FMA="$(has fma)" \
  -DGGML_F16C="$(has f16c)" -DGGML_BMI2="$(has bmi2)" -DGGML_AVX512="$(has avx512f)" \
  -DGGML_AVX512_VNNI="$(has avx512_vnni)" -DGGML_AVX512_VBMI="$(has avx512vbmi)" \
  -DGGML_AVX512_BF16="$(has avx512_bf16)" -DGGML_AVX_VNNI="$(has avx_vnni)" \
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_OPENMP=ON \
  -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DBUILD_SHARED_LIBS=OFF >/dev/null
cmake --build "$PEER/build" -j "${JOBS:-$(nproc)}" --target llama-bench llama-perplexity llama-quantize
mkdir -p "$PEER/bin"
cp "$PEER/build/bin/llama-bench" "$PEER/build/bin/llama-perplexity" "$PEER/build/bin/llama-quantize" \
  "$PEER/bin/"
echo "build_llama_cpp: built $PEER/bin/llama-bench, llama-perplexity and llama-quantize"
