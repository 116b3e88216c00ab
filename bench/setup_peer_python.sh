#!/usr/bin/env bash
# Makes .peer/venv: a Python with the pinned llama-cpp-python (tools/requirements-peer.txt), the
# peer of the per-item log-likelihood agreement test (tests/peer/) and of
# bench/mmlu_loglik_agreement.py. llama-cpp-python builds its vendored llama.cpp from the sdist
# (PyPI only; no GitHub needed): about 10-15 minutes on 2 cores. The x86 extensions are this CPU's,
# read from /proc/cpuinfo, with AMX off, for the reasons bench/build_llama_cpp.sh gives.
# Not part of CI: the agreement test skips with a message where this venv is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${PEER_VENV:-.peer/venv}
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  echo "setup_peer_python: $VENV already has llama_cpp"; exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade "pip==24.3.1"
has() { grep -qw "$1" /proc/cpuinfo && echo ON || echo OFF; }
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=$(has avx) -DGGML_AVX2=$(has avx2) \
 -DGGML_FMA=$(has fma) -DGGML_F16C=$(has f16c) -DGGML_BMI2=$(has bmi2) \
 -DGGML_AVX512=$(has avx512f) -DGGML_AVX512_VNNI=$(has avx512_vnni) \
 -DGGML_AVX512_VBMI=$(has avx512vbmi) -DGGML_AVX512_BF16=$(has avx512_bf16) \
 -DGGML_AVX_VNNI=$(has avx_vnni) -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF \
 -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF"
export CMAKE_BUILD_PARALLEL_LEVEL=${JOBS:-$(nproc)}
"$VENV/bin/python" -m pip install -q --no-binary llama-cpp-python -r tools/requirements-peer.txt
"$VENV/bin/python" -c "import llama_cpp; print('setup_peer_python: llama_cpp', llama_cpp.__version__)"
