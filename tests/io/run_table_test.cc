#include "io/run_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "test_paths.h"

namespace biotwin::io {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

RunTable SampleTable() {
  RunTable t;
  t.time = {0.0, 0.5, 1.0, 2.25};
  t.columns.push_back({"X", "g/L", "state", "biomass", {0.1, 0.123456789012, kNaN, 3.0}});
  t.columns.push_back({"mu", "1/h", "output", "", {0.0, -1e-12, 1e300, kNaN}});
  return t;
}

// Writes `text` to a fresh file and expects ReadCsv to throw a FileError for (line, field) whose
// message contains `problem` and starts with "<file>:<line>: column '<field>': ".
void ExpectReadError(const std::string& text, int line, const std::string& field,
                     const std::string& problem) {
  const std::string path = testing::TempDir() + "/bad.csv";
  WriteText(path, text);
  try {
    ReadCsv(path);
    ADD_FAILURE() << "no error for:\n" << text;
  } catch (const FileError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_EQ(e.field(), field) << e.what();
    std::string prefix = path + ":" + std::to_string(line) + ": ";
    if (!field.empty()) prefix += "column '" + field + "': ";
    EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(problem));
  }
}

TEST(RunTableTest, FindByName) {
  RunTable t = SampleTable();
  EXPECT_EQ(t.Find("X"), 0);
  EXPECT_EQ(t.Find("mu"), 1);
  EXPECT_EQ(t.Find("S"), -1);
}

TEST(RunTableTest, WriteCsvFormat) {
  const std::string path = testing::TempDir() + "/run.csv";
  WriteCsv(SampleTable(), path);
  EXPECT_EQ(ReadText(path),
            "t [h],X [g/L],mu [1/h]\n"
            "0,0.1,0\n"
            "0.5,0.123456789,-1e-12\n"
            "1,,1e+300\n"
            "2.25,3,\n");
}

TEST(RunTableTest, RoundTripWithNaN) {
  const std::string path = testing::TempDir() + "/run.csv";
  RunTable in = SampleTable();
  WriteCsv(in, path);
  RunTable out = ReadCsv(path);
  EXPECT_EQ(out.time_name, "t");
  EXPECT_EQ(out.time_unit, "h");
  EXPECT_EQ(out.time, in.time);
  ASSERT_EQ(out.columns.size(), 2u);
  for (size_t c = 0; c < 2; ++c) {
    EXPECT_EQ(out.columns[c].name, in.columns[c].name);
    EXPECT_EQ(out.columns[c].unit, in.columns[c].unit);
    EXPECT_EQ(out.columns[c].group, "data");
    ASSERT_EQ(out.columns[c].values.size(), in.time.size());
    for (size_t r = 0; r < in.time.size(); ++r) {
      double a = in.columns[c].values[r], b = out.columns[c].values[r];
      if (std::isnan(a)) {
        EXPECT_TRUE(std::isnan(b)) << c << "," << r;
      } else {
        EXPECT_NEAR(b, a, std::abs(a) * 1e-9) << c << "," << r;
      }
    }
  }
}

TEST(RunTableTest, ReadsHandWrittenCsv) {
  const std::string path = testing::TempDir() + "/hand.csv";
  WriteText(path,
            "\xEF\xBB\xBF# offline samples\r\n"
            "\r\n"
            "time [min] , glucose conc. [g/L], OD600 [-],pH [ - ]\r\n"
            "0, 10.5 ,NA,7\r\n"
            "# a comment between rows\r\n"
            "  \r\n"
            "30,nan,0.25,NaN\r\n"
            "60,,+1.5e1,6.9");
  RunTable t = ReadCsv(path);
  EXPECT_EQ(t.time_name, "time");
  EXPECT_EQ(t.time_unit, "min");
  EXPECT_EQ(t.time, (std::vector<double>{0, 30, 60}));
  ASSERT_EQ(t.columns.size(), 3u);
  EXPECT_EQ(t.columns[0].name, "glucose conc.");
  EXPECT_EQ(t.columns[0].unit, "g/L");
  EXPECT_EQ(t.columns[1].unit, "-");
  EXPECT_EQ(t.columns[2].name, "pH");
  EXPECT_EQ(t.columns[2].unit, "-");
  EXPECT_EQ(t.columns[0].values[0], 10.5);
  EXPECT_TRUE(std::isnan(t.columns[0].values[1]));
  EXPECT_TRUE(std::isnan(t.columns[0].values[2]));
  EXPECT_TRUE(std::isnan(t.columns[1].values[0]));
  EXPECT_EQ(t.columns[1].values[2], 15.0);
  EXPECT_TRUE(std::isnan(t.columns[2].values[1]));
  EXPECT_EQ(t.columns[2].values[2], 6.9);
}

TEST(RunTableTest, UnitIsTheLastBracket) {
  const std::string path = testing::TempDir() + "/units.csv";
  WriteText(path, "t [h],k[1] [1/h]\n0,1\n");
  RunTable t = ReadCsv(path);
  EXPECT_EQ(t.columns[0].name, "k[1]");
  EXPECT_EQ(t.columns[0].unit, "1/h");
}

TEST(RunTableTest, ErrorMissingUnit) {
  ExpectReadError("t [h],X\n0,1\n", 1, "X", "missing unit in header 'X', write it as 'X [g/L]'");
  ExpectReadError("# comment\nt,X [g/L]\n0,1\n", 2, "t", "missing unit in header 't'");
  ExpectReadError("t [h],X [g/L\n0,1\n", 1, "X [g/L", "missing unit");
  ExpectReadError("t [h],X []\n0,1\n", 1, "X []", "empty unit");
}

TEST(RunTableTest, ErrorNonNumericCell) {
  ExpectReadError("t [h],X [g/L],S [g/L]\n0,1,2\n1,abc,3\n", 3, "X", "'abc' is not a number");
  ExpectReadError("t [h],X [g/L]\n0,1,\n", 2, "", "row has 3 cells but the header has 2");
  ExpectReadError("t [h],X [g/L]\n0,1.5.2\n", 2, "X", "not a number");
  ExpectReadError("t [h],X [g/L]\n0,-\n", 2, "X", "'-' is not a number");
  ExpectReadError("t [h],X [g/L]\n0,1,5 g\n", 2, "", "row has 3 cells");
  ExpectReadError("t [h],X [g/L]\r\n0,1\r\n1,2 g\r\n", 3, "X", "'2 g' is not a number");
}

TEST(RunTableTest, ErrorWrongCellCount) {
  ExpectReadError("t [h],X [g/L],S [g/L]\n0,1,2\n1,2\n", 3, "S",
                  "row has 2 cells but the header has 3 columns");
  ExpectReadError("t [h],X [g/L]\n0,1\n1,2,3\n", 3, "", "row has 3 cells but the header has 2");
}

TEST(RunTableTest, ErrorTimeNotIncreasing) {
  ExpectReadError("t [h],X [g/L]\n0,1\n2,1\n2,1\n", 4, "t",
                  "time 2 is not greater than the previous time 2");
  ExpectReadError("t [h],X [g/L]\n0,1\n# c\n\n-1,1\n", 5, "t", "not greater");
}

TEST(RunTableTest, ErrorTimeMissing) {
  ExpectReadError("t [h],X [g/L]\n0,1\n,2\n", 3, "t", "time is missing");
  ExpectReadError("t [h],X [g/L]\n0,1\nNA,2\n", 3, "t", "time is missing");
  ExpectReadError("t [h],X [g/L]\n0,1\ninf,2\n", 3, "t", "time must be finite");
}

TEST(RunTableTest, ErrorDuplicateColumn) {
  ExpectReadError("t [h],X [g/L],X [mg/L]\n0,1,2\n", 1, "X", "duplicate column name 'X'");
}

TEST(RunTableTest, ErrorEmptyFileAndNoRows) {
  ExpectReadError("", 1, "", "empty file");
  ExpectReadError("# only\n\n# comments\n", 3, "", "empty file");
  ExpectReadError("# c\nt [h],X [g/L]\n\n", 2, "", "no data rows");
}

TEST(RunTableTest, ErrorFileNotFound) {
  const std::string path = testing::TempDir() + "/missing.csv";
  try {
    ReadCsv(path);
    ADD_FAILURE() << "no error";
  } catch (const FileError& e) {
    EXPECT_EQ(e.file(), path);
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
  }
}

TEST(RunTableTest, AtomicWriteLeavesNoTempFile) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/out.csv";
  WriteFileAtomic(path, "old contents\n");
  WriteCsv(SampleTable(), path);
  EXPECT_THAT(ReadText(path), HasSubstr("t [h],X [g/L]"));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(RunTableTest, ExistingFileKeptWhenWriteFails) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/out.csv";
  WriteFileAtomic(path, "complete old file\n");
  // A directory in the way of the temp file makes the write fail before the rename.
  fs::create_directory(path + ".tmp");
  EXPECT_THROW(WriteCsv(SampleTable(), path), std::runtime_error);
  EXPECT_EQ(ReadText(path), "complete old file\n");
  fs::remove(path + ".tmp");
  // Inconsistent column length: nothing written at all.
  RunTable bad = SampleTable();
  bad.columns[0].values.pop_back();
  try {
    WriteCsv(bad, path);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("column 'X'"));
  }
  EXPECT_EQ(ReadText(path), "complete old file\n");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(RunTableTest, WriteIntoMissingDirectoryThrows) {
  const std::string dir = testing::TempDir() + "/no/such/dir";
  const std::string path = dir + "/out.csv";
  try {
    WriteCsv(SampleTable(), path);
    ADD_FAILURE() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
  }
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(RunTableTest, WriteFileAtomicReplacesContents) {
  const std::string path = testing::TempDir() + "/a.txt";
  WriteFileAtomic(path, "first version, longer\n");
  WriteFileAtomic(path, "second\n");
  EXPECT_EQ(ReadText(path), "second\n");
  WriteFileAtomic(path, "");
  EXPECT_EQ(ReadText(path), "");
}

}  // namespace
}  // namespace biotwin::io
