// Replaying IndPenSim reference batches (../shared/reference/indpensim) through
// models/indpensim.yaml: reading the reference CSVs, mapping their columns to model states,
// inputs and parameters, and integrating one 0.2 h control interval with sim::Simulator.
//
// Conventions checked against the data (indpensim.m): the manipulated variables stored in row k
// (time t_k) are the ones applied during (t_{k-1}, t_k]; a disturbance row at time t applies
// during [t, t + 0.2 h); the per-interval integrals mu_P_calc/mu_X_calc start every interval at 0.
#ifndef BIOTWIN_TESTS_VALIDATION_INDPENSIM_OPENLOOP_REPLAY_H_
#define BIOTWIN_TESTS_VALIDATION_INDPENSIM_OPENLOOP_REPLAY_H_

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "model/model.h"
#include "sim/inputs.h"
#include "sim/simulator.h"
#include "test_paths.h"

namespace biotwin::indpensim_test {

// A reference CSV: named columns of numbers ("NaN" allowed).
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  int rows() const { return columns.empty() ? 0 : static_cast<int>(columns[0].size()); }
  const std::vector<double>& Column(const std::string& name) const {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return columns[i];
    }
    throw std::runtime_error("reference table has no column '" + name + "'");
  }
};

inline Table ReadTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  Table t;
  std::string line;
  std::getline(in, line);
  std::stringstream header(line);
  for (std::string cell; std::getline(header, cell, ',');) t.names.push_back(cell);
  t.columns.resize(t.names.size());
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::stringstream row(line);
    size_t c = 0;
    for (std::string cell; std::getline(row, cell, ','); ++c) {
      if (c >= t.names.size()) throw std::runtime_error(path + ":" + std::to_string(line_no) + ": too many cells");
      t.columns[c].push_back(cell == "NaN" ? std::nan("") : std::stod(cell));
    }
    if (c != t.names.size()) throw std::runtime_error(path + ":" + std::to_string(line_no) + ": ragged row");
  }
  return t;
}

// name,value file (x0 and batch-random parameters).
inline std::map<std::string, double> ReadNameValues(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::map<std::string, double> out;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    out[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
  }
  return out;
}

// Reference column of every model state and the factor from column to state units; H is
// stored as pH and Q divided by 1000.
struct StateColumn {
  const char* state;
  const char* column;
  double factor;
};
inline constexpr StateColumn kStateColumns[] = {
    {"S", "S_g_per_L", 1},           {"DO2", "DO2_mg_per_L", 1},
    {"O2_offgas", "O2_offgas_frac", 1},     {"P", "P_g_per_L", 1},
    {"V", "V_L", 1},                 {"Wt", "Wt_kg", 1},
    {"H", "pH", 0},                  {"T", "T_K", 1},
    {"Q", "Q_heat_kJ_over_1000", 1000}, {"Viscosity", "Viscosity_cP", 1},
    {"Culture_age", "Culture_age_gh_per_L", 1},
    {"a0", "a0_g_per_L", 1},         {"a1", "a1_g_per_L", 1},
    {"a3", "a3_g_per_L", 1},         {"a4", "a4_g_per_L", 1},
    {"n0", "n0", 1}, {"n1", "n1", 1}, {"n2", "n2", 1}, {"n3", "n3", 1}, {"n4", "n4", 1},
    {"n5", "n5", 1}, {"n6", "n6", 1}, {"n7", "n7", 1}, {"n8", "n8", 1}, {"n9", "n9", 1},
    {"nm", "nm", 1},                 {"phi0", "phi0", 1},
    {"CO2_offgas", "CO2_offgas_pct", 1}, {"CO2_d", "CO2_dissolved", 1},
    {"PAA", "PAA_mg_per_L", 1},      {"NH3", "NH3_mg_per_L", 1},
    {"mu_P_calc", "mu_P_calc", 1},   {"mu_X_calc", "mu_X_calc", 1},
};

inline constexpr std::pair<const char*, const char*> kInputColumns[] = {
    {"Fs", "Fs_L_per_h"},     {"Foil", "Foil_L_per_h"}, {"Fg", "Fg_aeration"},
    {"RPM", "RPM"},           {"Fpaa", "Fpaa_L_per_h"}, {"Fa", "Fa_L_per_h"},
    {"Fb", "Fb_L_per_h"},     {"Fc", "Fc_L_per_h"},     {"Fh", "Fh_L_per_h"},
    {"Fw", "Fw_L_per_h"},     {"pressure", "pressure_bar"},
    {"Fdischarge", "Fdischarge_L_per_h"},
};

inline constexpr std::pair<const char*, const char*> kDisturbanceColumns[] = {
    {"d_mu_p", "d_mu_p_per_h"},       {"d_mux_max", "d_mux_max_per_h"},
    {"d_c_s", "d_c_s_g_per_L"},       {"d_c_oil", "d_c_oil_g_per_L"},
    {"d_abc", "d_abc_mol_per_L"},     {"d_PAA_c", "d_PAA_c_mg_per_L"},
    {"d_Tcin", "d_Tcin_K"},           {"d_O2_in", "d_O2_in_frac"},
};

// One reference batch with everything needed to replay it.
struct Batch {
  Table data, disturbances;
  bool has_disturbances = false;
  std::map<std::string, double> x0;
  int steps() const { return data.rows() - 1; }
};

inline Batch LoadBatch(const std::string& prefix, bool with_disturbances) {
  const std::string dir = testing::ReferencePath("indpensim/");
  Batch b;
  b.data = ReadTable(dir + prefix + ".csv");
  b.x0 = ReadNameValues(dir + prefix + "_x0_params.csv");
  if (with_disturbances) {
    b.disturbances = ReadTable(dir + prefix + "_disturbances.csv");
    b.has_disturbances = true;
  }
  return b;
}

// Model state at reference row `row` (row 0 = initial condition: missing values are 0, as in
// indpensim.m's x00). The interval integrals restart at 0.
inline std::vector<double> StateAt(const model::Model& m, const Batch& b, int row) {
  std::vector<double> x(m.num_states(), 0.0);
  for (const auto& sc : kStateColumns) {
    const int i = m.info().StateIndex(sc.state);
    if (i < 0) throw std::runtime_error(std::string("model has no state ") + sc.state);
    const double v = b.data.Column(sc.column)[row];
    if (std::isnan(v)) continue;
    x[i] = sc.factor == 0 ? std::pow(10.0, -v) : v * sc.factor;
  }
  x[m.info().StateIndex("mu_P_calc")] = 0.0;
  x[m.info().StateIndex("mu_X_calc")] = 0.0;
  return x;
}

// True when the reference CSV records state `i` (the model's bookkeeping states it does not).
inline bool HasReferenceColumn(const model::Model& m, int i) {
  for (const auto& sc : kStateColumns) {
    if (m.info().states[i].name == sc.state) return true;
  }
  return false;
}

// Reference value of state `i` at `row`, in state units.
inline double ReferenceState(const model::Model& m, const Batch& b, int i, int row) {
  const std::string& name = m.info().states[i].name;
  for (const auto& sc : kStateColumns) {
    if (name == sc.state) {
      const double v = b.data.Column(sc.column)[row];
      return sc.factor == 0 ? std::pow(10.0, -v) : v * sc.factor;
    }
  }
  throw std::runtime_error("no reference column for state " + name);
}

// Parameters of the batch: the model's values with the batch-random ones from the x0 file.
inline std::vector<double> BatchParameters(const model::Model& m, const Batch& b) {
  std::vector<double> p = m.info().ParameterValues();
  const std::pair<const char*, const char*> map[] = {
      {"mux_max", "x0.mux"}, {"mu_p", "x0.mup"}, {"alpha_kla", "alpha_kla"},
      {"PAA_c", "PAA_c_mg_per_L"}, {"N_conc_paa", "N_conc_paa_mg_per_L"}};
  for (const auto& [param, key] : map) p[m.info().ParameterIndex(param)] = b.x0.at(key);
  return p;
}

// Inputs for control interval k (from t_{k-1} to t_k, k >= 1): MVs of row k, disturbances of
// the row at t_{k-1}.
inline std::vector<double> IntervalInputs(const model::Model& m, const Batch& b, int k) {
  std::vector<double> u = m.info().DefaultInputs();
  for (const auto& [input, column] : kInputColumns) {
    u[m.info().InputIndex(input)] = b.data.Column(column)[k];
  }
  if (b.has_disturbances) {
    for (const auto& [input, column] : kDisturbanceColumns) {
      u[m.info().InputIndex(input)] = b.disturbances.Column(column)[k - 1];
    }
  }
  return u;
}

// Integrates one interval [t0, t1] with constant inputs; x is replaced by the end state.
// Returns false (with a message) when the simulator fails.
inline bool Integrate(const std::shared_ptr<const model::Model>& m, double t0, double t1,
                      std::vector<double>& x, const std::vector<double>& p,
                      const std::vector<double>& u, double rtol, std::string* message,
                      sim::SolverStats* stats = nullptr) {
  sim::Scenario sc;
  sc.t_begin = t0;
  sc.t_end = t1;
  sc.output_times = {t0, t1};
  sc.rtol = rtol;
  for (int i = 0; i < m->num_states(); ++i) sc.initial[i] = x[i];
  for (int k = 0; k < m->num_parameters(); ++k) sc.parameters[k] = p[k];
  for (int l = 0; l < m->num_inputs(); ++l) sc.inputs[l] = sim::InputProfile::Constant(u[l]);
  sim::SimOptions opt;
  opt.record_outputs = false;
  sim::SimResult r = sim::Simulator(m, sc, opt).Run();
  if (!r.ok) {
    *message = r.message;
    return false;
  }
  x = r.states.back();
  if (stats != nullptr) {
    stats->steps += r.stats.steps;
    stats->rhs_evals += r.stats.rhs_evals;
    stats->jac_evals += r.stats.jac_evals;
    stats->newton_iters += r.stats.newton_iters;
    stats->newton_conv_fails += r.stats.newton_conv_fails;
    stats->error_test_fails += r.stats.error_test_fails;
    stats->reinits += r.stats.reinits;
  }
  return true;
}

}  // namespace biotwin::indpensim_test

#endif  // BIOTWIN_TESTS_VALIDATION_INDPENSIM_OPENLOOP_REPLAY_H_
