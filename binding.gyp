{
  "targets": [
    {
      "target_name": "alignkit",
      "sources": [
        "native/binding.cc",
        "native/kernels/attention.cc",
        "native/kernels/attention-amx.cc",
        "native/kernels/attention-bf16.cc",
        "native/kernels/attention-decode.cc",
        "native/kernels/binary.cc",
        "native/kernels/block-mm.cc",
        "native/kernels/cpu.cc",
        "native/kernels/decode-layer.cc",
        "native/kernels/elementwise.cc",
        "native/kernels/embedding.cc",
        "native/kernels/gemm.cc",
        "native/kernels/gemm-avx2.cc",
        "native/kernels/gemm-avx512.cc",
        "native/kernels/gemm-dots.cc",
        "native/kernels/gemm-few-rows.cc",
        "native/kernels/gemm-few-cols.cc",
        "native/kernels/gemm-scaled-add.cc",
        "native/kernels/rotary.cc",
        "native/kernels/gemm-bf16dot.cc",
        "native/kernels/gemm-bf16-pack.cc",
        "native/kernels/gemm-amx.cc",
        "native/kernels/gemm-generic.cc",
        "native/kernels/gemm-half.cc",
        "native/kernels/gemm-int8.cc",
        "native/kernels/gemm-pack.cc",
        "native/kernels/gemm-small.cc",
        "native/kernels/greedy.cc",
        "native/kernels/norm.cc",
        "native/kernels/pool.cc",
        "native/kernels/reduce.cc",
        "native/kernels/scale.cc",
        "native/kernels/strided.cc"
      ],
      "include_dirs": ["native"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": [
        "-O3",
        "-fopenmp-simd",
        "-ffp-contract=fast",
        "-fno-trapping-math",
        "-fno-math-errno",
        "-Wall",
        "-Wno-unknown-pragmas"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fopenmp-simd", "-ffp-contract=fast", "-fno-trapping-math", "-fno-math-errno"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
      }
    }
  ]
}
