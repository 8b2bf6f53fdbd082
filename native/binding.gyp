{
  "targets": [
    {
      "target_name": "distillery_native",
      "sources": [
        "src/addon.cc",
        "src/pool.cc",
        "src/gemm.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/conv.cc",
        "src/adam.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(pkg-config --cflags-only-I openblas | sed s/-I//g)"
      ],
      "libraries": ["<!@(pkg-config --libs openblas)"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
