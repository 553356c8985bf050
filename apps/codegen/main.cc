// biotwin_codegen: compiles model files to C++ at build time (see src/model/compiled_tapes.h).
//   biotwin_codegen --out FILE.cc MODEL.yaml [MODEL.yaml ...]
// Writes one translation unit with each model's balances and outputs as straight-line functions
// registered under their tape fingerprints. The file is replaced only when its text changes, so
// an unchanged model does not trigger a rebuild.
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/codegen.h"
#include "model/file_model.h"
#include "model/model.h"
#include "sim/sparse_lu.h"

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Straight-line LU kernels for the Newton matrices of the models whose Jacobian pattern the
// Rosenbrock integrators factorise sparsely (sim/sparse_lu.h); one per distinct structure.
std::string SparseLuKernels(const std::vector<std::shared_ptr<const biotwin::model::Model>>& models,
                            const std::vector<std::string>& labels) {
  std::string src =
      "\n// Sparse LU kernels for the bundled models' Jacobian patterns (sim/sparse_lu.h).\n"
      "#include <algorithm>\n#include <cfloat>\n#include <cmath>\n\n#include \"sim/sparse_lu.h\"\n\nnamespace {\n\n";
  std::set<std::string> done;
  for (size_t m = 0; m < models.size(); ++m) {
    const auto pattern = models[m]->JacobianPattern();
    if (pattern.empty()) continue;
    const biotwin::sim::SparseLu lu(models[m]->num_states(), pattern);
    if (!lu.BeatsDense() || !done.insert(lu.Fingerprint()).second) continue;
    src += "// " + labels[m] + "\n" + lu.KernelSource("SparseLu" + std::to_string(m));
  }
  return src + "}  // namespace\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "biotwin_codegen: unknown option %s\nusage: biotwin_codegen --out FILE.cc MODEL.yaml...\n", a.c_str());
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (out.empty()) {
    std::fprintf(stderr, "usage: biotwin_codegen --out FILE.cc MODEL.yaml...\n");
    return 2;
  }
  std::vector<std::shared_ptr<const biotwin::model::Model>> models;
  std::vector<const biotwin::model::FileModel*> file_models;
  std::vector<std::string> labels;
  for (const auto& f : files) {
    try {
      models.push_back(biotwin::model::LoadModelFile(f));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "biotwin_codegen: %s\n", e.what());
      return 3;
    }
    const auto* fm = dynamic_cast<const biotwin::model::FileModel*>(models.back().get());
    if (fm == nullptr) {
      std::fprintf(stderr, "biotwin_codegen: %s is not a file model\n", f.c_str());
      return 3;
    }
    file_models.push_back(fm);
    labels.push_back(std::filesystem::path(f).filename().string());
  }
  std::string src = biotwin::model::CompiledModelsSource(file_models, labels);
  src += SparseLuKernels(models, labels);
  if (ReadAll(out) == src) return 0;
  const std::string tmp = out + ".tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o << src;
    if (!o.flush()) {
      std::fprintf(stderr, "biotwin_codegen: cannot write %s\n", tmp.c_str());
      return 4;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::fprintf(stderr, "biotwin_codegen: cannot replace %s: %s\n", out.c_str(), ec.message().c_str());
    return 4;
  }
  return 0;
}
