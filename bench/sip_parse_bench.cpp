// sip_parse_bench: Warden's SIP codec against libosip2 and sofia-sip on three realistic
// messages (bench/messages/*.sip), in one binary and one run.
//
// For every message and every codec two benchmarks run:
//   full/<message>/<codec>   parse every header field, then serialize the message back
//   parse/<message>/<codec>  parse only
// Each reports real time per message, bytes_per_second and "allocs/msg" (heap allocations per
// message, counted by alloc_counter.cpp). After the runs a table gives ns/message, allocations
// and the ratios osip2/warden, sofia/warden and faster-of-the-two/warden (above 1: Warden is
// faster), and says whether the target holds: Warden's full path at least 3x faster than the
// faster library, with zero allocations.
//
// Before anything is timed, each codec parses each message, serializes it and parses its own
// output again; all three must agree on the start line, CSeq, Vias, tags, Call-ID, Contact,
// Record-Route, Digest response and body length, or the binary exits with status 3.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.hpp"
#include "sip_codecs.hpp"
#include "summary_reporter.hpp"

namespace warden::bench {
namespace {

struct Sample {
  const char* key;    // in benchmark names
  const char* label;  // in the summary
  const char* file;   // under bench/messages/
  std::string bytes;
};

struct Mode {
  const char* key;
  const char* label;
  bool serialize;
};

constexpr Mode kModes[] = {{"full", "parse + serialize", true}, {"parse", "parse only", false}};
constexpr std::string_view kCodecs[] = {WardenCodec::kName, OsipCodec::kName, SofiaCodec::kName};
constexpr double kTargetRatio = 3.0;

std::string bench_name(const Mode& mode, const Sample& s, std::string_view codec) {
  return std::string(mode.key) + "/" + s.key + "/" + std::string(codec);
}

bool load(Sample& s) {
  const std::string path = std::string(WARDEN_SOURCE_DIR) + "/bench/messages/" + s.file;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "sip_parse_bench: cannot read %s\n", path.c_str());
    return false;
  }
  s.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !s.bytes.empty();
}

// The codec parses the message and its own serialization of it, and both agree with Warden's
// reading of the original.
template <class Codec>
bool agrees(const Sample& s, const Facts& reference) {
  Codec codec;
  Facts first, second;
  std::string wire, rewire;
  if (!codec.inspect(s.bytes, first, wire)) {
    std::fprintf(stderr, "%s: %.*s refused the message\n", s.file, int(Codec::kName.size()), Codec::kName.data());
    return false;
  }
  if (!codec.inspect(wire, second, rewire)) {
    std::fprintf(stderr, "%s: %.*s refused its own serialization:\n%s\n", s.file, int(Codec::kName.size()),
                 Codec::kName.data(), wire.c_str());
    return false;
  }
  if (first == reference && second == reference) return true;
  std::fprintf(stderr, "%s: %.*s disagrees\n  warden:      %s\n  parsed:      %s\n  re-parsed:   %s\n", s.file,
               int(Codec::kName.size()), Codec::kName.data(), describe(reference).c_str(), describe(first).c_str(),
               describe(second).c_str());
  return false;
}

bool check(const Sample& s) {
  Facts reference;
  std::string wire;
  if (WardenCodec codec; !codec.inspect(s.bytes, reference, wire)) {
    std::fprintf(stderr, "%s: warden refused the message\n", s.file);
    return false;
  }
  return agrees<WardenCodec>(s, reference) && agrees<OsipCodec>(s, reference) && agrees<SofiaCodec>(s, reference);
}

template <class Codec, bool kSerialize>
void run(benchmark::State& state, const Sample& s) {
  Codec codec;
  const std::string_view bytes = s.bytes;
  auto once = [&] {
    if constexpr (kSerialize) return codec.parse_and_serialize(bytes) != 0;
    else return codec.parse(bytes);
  };
  // Warm-up outside the count: Warden's Message and output string reach their working size.
  if (!once()) {
    state.SkipWithError("the codec refused the message");
    return;
  }
  const std::uint64_t before = allocations();
  for (auto _ : state) {
    if (!once()) {
      state.SkipWithError("the codec refused the message");
      break;
    }
  }
  const std::uint64_t allocs = allocations() - before;
  state.counters["allocs/msg"] = benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes.size()));
}

template <class Codec, bool kSerialize>
void register_one(const Mode& mode, const Sample& s) {
  benchmark::RegisterBenchmark(bench_name(mode, s, Codec::kName).c_str(),
                               [&s](benchmark::State& st) { run<Codec, kSerialize>(st, s); });
}

template <bool kSerialize>
void register_mode(const Mode& mode, const std::vector<Sample>& samples) {
  for (const Sample& s : samples) {
    register_one<WardenCodec, kSerialize>(mode, s);
    register_one<OsipCodec, kSerialize>(mode, s);
    register_one<SofiaCodec, kSerialize>(mode, s);
  }
}

void register_all(const std::vector<Sample>& samples) {
  for (const Mode& mode : kModes) {
    if (mode.serialize)
      register_mode<true>(mode, samples);
    else
      register_mode<false>(mode, samples);
  }
}

using Figures = std::optional<SummaryReporter::Result>;

std::string cell(const Figures& r) {
  if (!r) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f (%.4g)", r->ns, r->allocs);
  return buf;
}

std::string ratio(double num, double den) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", num / den);
  return buf;
}
std::string ratio(const Figures& num, const Figures& den) {
  return num && den && den->ns > 0 ? ratio(num->ns, den->ns) : "-";
}

// The faster of osip2 and sofia by real time, or nullopt if either did not run.
Figures faster_of(const Figures& a, const Figures& b) {
  if (!a || !b) return std::nullopt;
  return a->ns <= b->ns ? a : b;
}

void print_summary(const SummaryReporter& rep, const std::vector<Sample>& samples) {
  std::printf("\nSummary: real time per message in ns (heap allocations per message); ratio = other / warden,\n"
              "above 1 means Warden is faster; \"faster\" is the faster of osip2 and sofia for that message.\n");
  bool met = true, met_cpu = true, complete = true;
  double worst_busy = 1.0;  // largest real/CPU time: 1 on an idle machine
  for (const Mode& mode : kModes) {
    std::printf("\n%-20s %6s %14s %16s %16s %13s %13s %14s\n", mode.label, "bytes", "warden", "osip2", "sofia",
                "osip2/warden", "sofia/warden", "faster/warden");
    std::string cpu_line;
    for (const Sample& s : samples) {
      const Figures w = rep.result(bench_name(mode, s, kCodecs[0]));
      const Figures o = rep.result(bench_name(mode, s, kCodecs[1]));
      const Figures f = rep.result(bench_name(mode, s, kCodecs[2]));
      const Figures faster = faster_of(o, f);
      std::printf("%-20s %6zu %14s %16s %16s %13s %13s %14s\n", s.label, s.bytes.size(), cell(w).c_str(),
                  cell(o).c_str(), cell(f).c_str(), ratio(o, w).c_str(), ratio(f, w).c_str(), ratio(faster, w).c_str());
      for (const Figures& r : {w, o, f})
        if (r && r->cpu_ns > 0) worst_busy = std::max(worst_busy, r->ns / r->cpu_ns);
      if (!w || !faster) {
        if (mode.serialize) complete = false;
        continue;
      }
      const double fastest_cpu = std::min(o->cpu_ns, f->cpu_ns);
      cpu_line += std::string(cpu_line.empty() ? "" : ", ") + s.key + " " + ratio(fastest_cpu, w->cpu_ns);
      if (mode.serialize) {
        met = met && faster->ns / w->ns >= kTargetRatio && w->allocs == 0;
        met_cpu = met_cpu && fastest_cpu / w->cpu_ns >= kTargetRatio && w->allocs == 0;
      }
    }
    if (!cpu_line.empty()) std::printf("%-20s faster/warden by CPU time: %s\n", "", cpu_line.c_str());
  }
  if (worst_busy > 1.1)
    std::printf("\nNote: real time exceeded CPU time by up to %.0f%%: other processes held the CPU, so real-time\n"
                "figures are noisy. Rerun on an idle machine (or with --benchmark_repetitions=5) to confirm.\n",
                (worst_busy - 1) * 100);
  std::printf("\nTarget (parse + serialize): Warden >= %.0fx faster than the faster of osip2 and sofia, with 0 "
              "allocations per message: ",
              kTargetRatio);
  if (!complete)
    std::printf("not measured (some benchmarks did not run)\n");
  else
    std::printf("%s by real time, %s by CPU time\n", met ? "MET" : "NOT MET", met_cpu ? "met" : "not met");
}

}  // namespace
}  // namespace warden::bench

int main(int argc, char** argv) {
  using namespace warden::bench;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  std::vector<Sample> samples = {
      {"invite", "INVITE + SDP offer", "invite_sdp.sip", {}},
      {"register", "REGISTER + Digest", "register_digest.sip", {}},
      {"200ok", "200 OK + SDP answer", "ok_invite_sdp.sip", {}},
  };
  osip_init_once();
  for (Sample& s : samples) {
    if (!load(s)) return 2;
    if (!check(s)) return 3;
  }
  std::printf("Messages checked: warden, osip2 and sofia parse each one and their own serialization of it,\n"
              "and agree on start line, CSeq, Vias, tags, Call-ID, Contact, Record-Route, Digest response, body.\n");
  std::fflush(stdout);

  register_all(samples);
  SummaryReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                 : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary(reporter, samples);
  benchmark::Shutdown();
  return 0;
}
