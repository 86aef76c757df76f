// reg_floor: the least a UDP registrar can do for proxy_vs_kamailio.sh's `reg` load, as a
// measure of what the kernel alone costs per registration on this machine (the "floor" row of
// that script). Not a registrar: it checks nothing, stores nothing and never retransmits. A
// REGISTER without Authorization gets a 401 with a fixed MD5 challenge, every other request a
// 200 that copies Via, From, To (with a tag), Call-ID, CSeq and Contact; responses are dropped.
// It reads as warden does: one edge-triggered epoll wait, then recvmmsg() in batches of eight
// until the socket is empty, one sendto() per answer.
//
//   build/release/bench/reg_floor PORT      (listens on 127.0.0.1:PORT until killed)

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool starts_with_nocase(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char a = line[i];
    char b = name[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// The header line starting with `name` ("Via:"), CRLF included; empty when there is none.
std::string_view header_line(std::string_view msg, std::string_view name) {
  for (std::size_t pos = 0; pos < msg.size();) {
    std::size_t end = msg.find('\n', pos);
    end = end == std::string_view::npos ? msg.size() : end + 1;
    const std::string_view line = msg.substr(pos, end - pos);
    if (line == "\r\n" || line == "\n") break;  // end of the header
    if (starts_with_nocase(line, name)) return line;
    pos = end;
  }
  return {};
}

void answer(std::string_view request, std::string& out) {
  const bool challenge = request.starts_with("REGISTER ") && header_line(request, "Authorization:").empty();
  out.assign(challenge ? "SIP/2.0 401 Unauthorized\r\n" : "SIP/2.0 200 OK\r\n");
  for (std::string_view name : {"Via:", "From:", "To:", "Call-ID:", "CSeq:", "Contact:"}) {
    std::string_view line = header_line(request, name);
    if (line.empty() || (challenge && name == "Contact:")) continue;
    if (name == "To:") {
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
      out.append(line).append(";tag=floor\r\n");
    } else {
      out.append(line);
    }
  }
  if (challenge)
    out.append("WWW-Authenticate: Digest realm=\"bench.test\", nonce=\"0123456789abcdef0123456789abcdef\", "
               "algorithm=MD5, qop=\"auth\"\r\n");
  out.append("Content-Length: 0\r\n\r\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc == 2 ? std::atoi(argv[1]) : 0;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: reg_floor PORT   (listens on 127.0.0.1:PORT)\n");
    return 2;
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("reg_floor: bind");
    return 1;
  }
  const int ep = ::epoll_create1(0);
  epoll_event want{};
  want.events = EPOLLIN | EPOLLET;
  if (ep < 0 || ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &want) != 0) {
    std::perror("reg_floor: epoll");
    return 1;
  }
  constexpr unsigned kBatch = 8;
  static std::array<std::array<char, 65536>, kBatch> buffers;
  std::array<sockaddr_in, kBatch> senders{};
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> headers{};
  std::string out;
  out.reserve(2048);
  for (;;) {
    epoll_event ready{};
    if (::epoll_wait(ep, &ready, 1, -1) < 0 && errno != EINTR) {
      std::perror("reg_floor: epoll_wait");
      return 1;
    }
    for (;;) {
      for (unsigned i = 0; i < kBatch; ++i) {
        iov[i] = {buffers[i].data(), buffers[i].size()};
        headers[i] = {};
        headers[i].msg_hdr.msg_name = &senders[i];
        headers[i].msg_hdr.msg_namelen = sizeof senders[i];
        headers[i].msg_hdr.msg_iov = &iov[i];
        headers[i].msg_hdr.msg_iovlen = 1;
      }
      const int n = ::recvmmsg(fd, headers.data(), kBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      for (unsigned i = 0; i < static_cast<unsigned>(n); ++i) {
        const std::string_view msg(buffers[i].data(), headers[i].msg_len);
        if (msg.size() < 8 || msg.starts_with("SIP/2.0 ")) continue;
        answer(msg, out);
        ::sendto(fd, out.data(), out.size(), 0, reinterpret_cast<const sockaddr*>(&senders[i]),
                 headers[i].msg_hdr.msg_namelen);
      }
      if (static_cast<unsigned>(n) < kBatch) break;
    }
  }
}
