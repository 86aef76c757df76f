#include "demo_command.hpp"

#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "media/resampler.hpp"
#include "media/tone.hpp"
#include "media/wav.hpp"

namespace warden::app {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("warden") : p.string();
}

// A child process of this binary (or another program) whose standard output we read by line.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { kill_and_wait(); }

  // Starts `args` with stdin from `input` (written at once, then closed), stdout to us,
  // stderr to `err_file`.
  bool start(const std::vector<std::string>& args, const std::string& input, const std::string& err_file) {
    int out_pipe[2], in_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(in_pipe) != 0) return false;
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      dup2(in_pipe[0], STDIN_FILENO);
      dup2(out_pipe[1], STDOUT_FILENO);
      int fd = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, STDERR_FILENO);
      close(out_pipe[0]);
      close(in_pipe[1]);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(out_pipe[1]);
    close(in_pipe[0]);
    if (!input.empty()) (void)!write(in_pipe[1], input.data(), input.size());
    close(in_pipe[1]);
    out_ = out_pipe[0];
    return true;
  }

  // Reads lines until one starts with `prefix` (returned) or `timeout` passes or the child
  // closes its output. Every line read is kept in lines().
  std::optional<std::string> wait_for(std::string_view prefix, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (; scanned_ < lines_.size(); ++scanned_)
        if (lines_[scanned_].rfind(prefix, 0) == 0) return lines_[scanned_++];
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || out_ < 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) {
        close(out_);
        out_ = -1;
        if (!partial_.empty()) lines_.push_back(std::move(partial_));
        continue;
      }
      partial_.append(buf, static_cast<std::size_t>(n));
      std::size_t nl;
      while ((nl = partial_.find('\n')) != std::string::npos) {
        lines_.push_back(partial_.substr(0, nl));
        partial_.erase(0, nl + 1);
      }
    }
  }
  // Waits for the exit status (reading what is left of the output), up to `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      wait_for("\x01never", 100ms);
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        wait_for("\x01never", 50ms);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    }
    return std::nullopt;
  }
  void terminate() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  void kill_and_wait() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (!wait_exit(3000ms)) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
      pid_ = -1;
    }
    if (out_ >= 0) close(out_);
    out_ = -1;
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string partial_;
  std::vector<std::string> lines_;
  std::size_t scanned_ = 0;
};

// Speech envelopes: the RMS of 10 ms frames of 8 kHz mono audio.
std::vector<double> envelope(const std::vector<std::int16_t>& pcm8k) {
  std::vector<double> env;
  for (std::size_t i = 0; i + 80 <= pcm8k.size(); i += 80) {
    double s = 0;
    for (std::size_t j = 0; j < 80; ++j) s += double(pcm8k[i + j]) * pcm8k[i + j];
    env.push_back(std::sqrt(s / 80));
  }
  return env;
}

struct Match {
  double correlation = 0;  // normalized, of the envelopes, at the best lag
  int lag_ms = 0;          // how much later the recording has the sound
  double played_rms = 0, heard_rms = 0;
};

// How well `heard` reproduces `played`: the best normalized correlation of their 10 ms energy
// envelopes over lags of 0 to 3 s (the recording starts when the call is answered).
Match compare(const std::vector<std::int16_t>& played8k, const std::vector<std::int16_t>& heard8k) {
  Match m;
  auto a = envelope(played8k), b = envelope(heard8k);
  auto rms = [](const std::vector<std::int16_t>& v) {
    double s = 0;
    for (auto x : v) s += double(x) * x;
    return v.empty() ? 0.0 : std::sqrt(s / double(v.size()));
  };
  m.played_rms = rms(played8k);
  m.heard_rms = rms(heard8k);
  if (a.size() < 50 || b.size() < 50) return m;
  for (int lag = 0; lag <= 300 && lag < static_cast<int>(b.size()); ++lag) {
    const std::size_t n = std::min(a.size(), b.size() - static_cast<std::size_t>(lag));
    if (n < 50) break;
    double ma = 0, mb = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ma += a[i];
      mb += b[i + lag];
    }
    ma /= double(n);
    mb /= double(n);
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = a[i] - ma, y = b[i + lag] - mb;
      sab += x * y;
      saa += x * x;
      sbb += y * y;
    }
    if (saa <= 0 || sbb <= 0) continue;
    const double c = sab / std::sqrt(saa * sbb);
    if (c > m.correlation) {
      m.correlation = c;
      m.lag_ms = lag * 10;
    }
  }
  return m;
}

std::optional<std::vector<std::int16_t>> load_8k(const std::string& path) {
  auto w = media::read_wav_file(path);
  if (!w) return std::nullopt;
  auto mono = media::mix_to_mono(*w);
  return media::resample(mono, static_cast<int>(w->sample_rate), 8000);
}

// A stand-in for speech when espeak-ng is missing: tone bursts of varying pitch and length.
bool write_melody(const std::string& path) {
  media::WavAudio w;
  w.sample_rate = 8000;
  const double notes[] = {440, 0, 660, 550, 0, 880, 330, 0, 495, 740};
  const int lengths[] = {300, 150, 450, 200, 100, 350, 250, 200, 400, 300};
  for (std::size_t i = 0; i < std::size(notes); ++i) {
    std::vector<std::int16_t> part;
    if (notes[i] > 0) {
      media::ToneSpec ts;
      ts.frequency_hz = notes[i];
      ts.amplitude = 0.4;
      part = media::make_tone(ts, std::chrono::milliseconds(lengths[i]));
    } else {
      part.assign(static_cast<std::size_t>(lengths[i] * 8), 0);
    }
    w.samples.insert(w.samples.end(), part.begin(), part.end());
  }
  return static_cast<bool>(media::write_wav_file(path, w));
}

// A JSON number with `digits` decimals ("-" when absent).
std::string num(const nlohmann::json& v, int digits) {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v.get<double>());
  return buf;
}

std::string after(const std::string& line, std::string_view key) {
  auto p = line.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  auto e = line.find(' ', p);
  return line.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

int run_demo(const DemoOptions& opts) {
  const std::string exe = self_exe();
  char tmpl[] = "/tmp/warden-demo.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::cerr << "warden demo: cannot create a temporary folder\n";
    return 1;
  }
  const fs::path dir = tmpl;
  auto step = [](const std::string& s) { std::cout << "demo: " << s << std::endl; };
  const std::string domain = "demo.test";
  step("working in " + dir.string());

  // 1. Two accounts in a fresh store.
  for (auto [user, pw] : {std::pair{"alice", "alice-demo-password"}, std::pair{"bob", "bob-demo-password"}}) {
    Child c;
    c.start({exe, "user", "add", std::string(user) + "@" + domain, "--data-dir", (dir / "data").string()},
            std::string(pw) + "\n", (dir / "user.err").string());
    auto rc = c.wait_exit(20s);
    if (!rc || *rc != 0) {
      std::cerr << "warden demo: could not create the account " << user << " (see " << (dir / "user.err") << ")\n";
      return 1;
    }
  }
  step("created sip:alice@" + domain + " and sip:bob@" + domain);

  // 2. The proxy on free loopback ports.
  Child proxy;
  proxy.start({exe, "proxy", "--data-dir", (dir / "data").string(), "--domain", domain, "--listen", "udp:127.0.0.1:0",
               "--listen", "tcp:127.0.0.1:0", "--listen", "tls:127.0.0.1:0", "--log-level", "warn"},
              "", (dir / "proxy.err").string());
  if (!proxy.wait_for("ready", 30s)) {
    std::cerr << "warden demo: the proxy did not start (see " << (dir / "proxy.err") << ")\n";
    return 1;
  }
  std::string listen;
  for (const auto& l : proxy.lines())
    if (l.rfind("listening " + opts.transport + ":", 0) == 0) listen = l.substr(10);
  if (listen.empty()) {
    std::cerr << "warden demo: the proxy does not listen on " << opts.transport << "\n";
    return 1;
  }
  step("proxy listening on " + listen);

  // 3. What alice says.
  const std::string speech = (dir / "speech.wav").string();
  std::string source = "speech generated by espeak-ng";
  {
    Child e;
    e.start({"espeak-ng", "-w", speech, "Hello Bob. This is Alice, calling through Warden. Our call is encrypted."}, "",
            (dir / "espeak.err").string());
    auto rc = e.wait_exit(30s);
    if (!rc || *rc != 0 || !fs::exists(speech)) {
      source = "a generated melody (espeak-ng is not installed)";
      if (!write_melody(speech)) {
        std::cerr << "warden demo: cannot write " << speech << "\n";
        return 1;
      }
    }
  }
  step("alice will play " + source);

  // 4. The two phones.
  auto account = [&](const std::string& user, const std::string& pw) {
    const fs::path f = dir / (user + ".toml");
    std::ofstream out(f);
    out << "uri = \"sip:" << user << "@" << domain << "\"\npassword = \"" << pw << "\"\nproxy = \"" << listen
        << "\"\nca_file = \"" << (dir / "data" / "pki" / "ca.pem").string() << "\"\n[media]\nkeying = \""
        << opts.keying << "\"\ncodecs = [\"" << opts.codec << "\"]\n";
    return f.string();
  };
  const std::string heard = (dir / "heard.wav").string();
  Child bob;
  bob.start({exe, "phone", "--account", account("bob", "bob-demo-password"), "answer", "--auto", "--record", heard,
             "--timeout", "60s"},
            "", (dir / "bob.err").string());
  if (!bob.wait_for("ready", 20s)) {
    std::cerr << "warden demo: bob's phone did not register (see " << (dir / "bob.err") << ")\n";
    return 1;
  }
  step("bob registered and waits for a call");
  Child alice;
  alice.start({exe, "phone", "--account", account("alice", "alice-demo-password"), "call", "sip:bob@" + domain,
               "--play", speech},
              "", (dir / "alice.err").string());
  auto alice_rc = alice.wait_exit(90s);
  auto bob_rc = bob.wait_exit(20s);
  proxy.terminate();
  proxy.wait_exit(10s);

  std::string media_line, report_line;
  for (const auto& l : alice.lines()) {
    if (l.rfind("media ", 0) == 0) media_line = l;
    if (l.rfind("report ", 0) == 0) report_line = l.substr(7);
  }
  std::string bob_report;
  for (const auto& l : bob.lines())
    if (l.rfind("report ", 0) == 0) bob_report = l.substr(7);

  std::cout << "\n=== warden demo report ===\n";
  std::cout << "call:        sip:alice@" << domain << " -> sip:bob@" << domain << " through warden proxy\n";
  std::cout << "signalling:  " << opts.transport << " " << listen << "\n";
  if (media_line.empty()) {
    std::cout << "result:      the call did not get media; alice exited with " << (alice_rc ? *alice_rc : -1)
              << ", bob with " << (bob_rc ? *bob_rc : -1) << "\nlogs:        " << dir.string() << "\n";
    return 1;
  }
  std::cout << "media:       codec " << after(media_line, "codec=") << ", keying " << after(media_line, "keying=")
            << ", SRTP suite " << after(media_line, "suite=") << "\n";
  try {
    auto a = nlohmann::json::parse(report_line);
    auto b = nlohmann::json::parse(bob_report);
    const auto& am = a["media"];
    const auto& bm = b["media"];
    std::cout << "alice sent:  " << am["packets_sent"] << " packets; bob received " << bm["packets_received"]
              << ", lost " << bm["packets_lost"] << " (" << num(bm["loss_percent"], 1) << " %), jitter "
              << num(bm["jitter_ms"], 1) << " ms\n";
    std::cout << "quality:     estimated MOS " << num(bm["mos"], 2) << " (E-model)"
              << (am["rtt_ms"].is_null() ? std::string() : ", round trip " + num(am["rtt_ms"], 1) + " ms") << "\n";
    std::cout << "duration:    " << num(a["duration_s"], 1) << " s\n";
  } catch (const std::exception&) {
    std::cout << "reports:     missing (see " << dir.string() << ")\n";
  }
  bool matches = false;
  auto played = load_8k(speech);
  auto got = load_8k(heard);
  if (played && got) {
    auto m = compare(*played, *got);
    matches = m.correlation >= 0.7 && m.heard_rms > 0.05 * m.played_rms;
    std::cout << "recording:   " << heard << ": " << (matches ? "matches" : "does NOT match")
              << " what alice played (speech envelope correlation " << std::round(m.correlation * 1000) / 1000
              << " at " << m.lag_ms << " ms delay)\n";
  } else {
    std::cout << "recording:   missing\n";
  }
  const bool ok = alice_rc && *alice_rc == 0 && bob_rc && *bob_rc == 0 && matches;
  std::cout << "result:      " << (ok ? "OK" : "FAILED") << "\n";
  if (opts.keep || !ok) {
    std::cout << "files:       " << dir.string() << " (logs, accounts, speech.wav, heard.wav)\n";
  } else {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return ok ? 0 : 1;
}

}  // namespace

void add_demo_command(CLI::App& app, DemoOptions& opts, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "demo", "Start a proxy and two phones on loopback and place one encrypted call; print what happened");
  cmd->add_option("--transport", opts.transport, "Signalling transport: udp, tcp or tls (default tls)")
      ->check(CLI::IsMember({"udp", "tcp", "tls"}));
  cmd->add_option("--keying", opts.keying, "SRTP keying: dtls (default) or sdes (needs tls)")
      ->check(CLI::IsMember({"dtls", "sdes"}));
  cmd->add_option("--codec", opts.codec, "opus (default), PCMU or PCMA")->check(CLI::IsMember({"opus", "PCMU", "PCMA"}));
  cmd->add_flag("--keep", opts.keep, "Keep the temporary folder (logs, recordings) afterwards");
  cmd->callback([&opts, &exit_code, cmd] {
    if (opts.keying == "sdes" && opts.transport != "tls") {
      std::cerr << "warden demo: --keying sdes needs --transport tls (SDES keys travel in the SIP message)\n";
      exit_code = 2;
      return;
    }
    (void)cmd;
    exit_code = run_demo(opts);
  });
}

}  // namespace warden::app
