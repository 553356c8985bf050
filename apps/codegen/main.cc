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
#include <sstream>
#include <string>
#include <vector>

#include "model/codegen.h"
#include "model/file_model.h"
#include "model/model.h"

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
  const std::string src = biotwin::model::CompiledModelsSource(file_models, labels);
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
