// Control plane. The mbuf pool of an AF_XDP port. net_af_xdp (DPDK 22.11, built with
// XDP_UMEM_UNALIGNED_CHUNK_FLAG) registers the pool given to rx queue setup as the socket's UMEM:
// the first memory chunk of the pool, rounded down to a page, for populated_size x object size
// bytes, one UMEM chunk per mempool object. The kernel takes chunks of 2048 bytes up to one page
// (Documentation/networking/af_xdp.rst, XDP_UMEM_REG), so a pool of 8 KiB mbufs is refused with
// EINVAL ("xdp_umem_configure(): Failed to create umem"); see src/dataplane/README.md.
#include "sipshunt/net/af_xdp.hpp"

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <unistd.h>

#include <bit>

#include "sipshunt/net/port.hpp"

namespace sipshunt::net {

namespace {

// Object size as the mempool lays it out (header, element, trailer padding): what the PMD
// declares as the UMEM chunk size.
std::uint32_t object_size(std::uint16_t data_room) noexcept {
  rte_mempool_objsz sz{};
  return rte_mempool_calc_obj_size(static_cast<std::uint32_t>(sizeof(rte_mbuf)) + kMbufPrivSize + data_room, 0, &sz);
}

std::uint32_t page_size() noexcept {
  const long page = sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<std::uint32_t>(page) : 4096;
}

}  // namespace

std::uint16_t af_xdp_data_room() noexcept {
  // The mempool pads objects to an odd number of cache lines (spread over memory channels), so
  // a data room that exactly fills a page grows past it: step down a cache line at a time.
  const std::uint32_t page = page_size();
  std::uint32_t room = page - static_cast<std::uint32_t>(sizeof(rte_mbuf)) - kMbufPrivSize;
  while (room > RTE_CACHE_LINE_SIZE && object_size(static_cast<std::uint16_t>(room)) > page) room -= RTE_CACHE_LINE_SIZE;
  return static_cast<std::uint16_t>(room);
}

std::uint16_t af_xdp_max_frame() noexcept {
  constexpr std::uint16_t kXdpPacketHeadroom = 256;  // XDP_PACKET_HEADROOM, in front of every frame
  return static_cast<std::uint16_t>(af_xdp_data_room() - RTE_PKTMBUF_HEADROOM - kXdpPacketHeadroom);
}

std::uint32_t af_xdp_pool_size(std::uint16_t queues, std::uint16_t rx_ring, std::uint16_t tx_ring) noexcept {
  // Per queue: the fill ring the PMD stocks (2048) and the completion ring (2048), the rx and tx
  // rings, and 2048 more for bursts, hold queues and per-lcore caches.
  const std::uint32_t per_queue = 3 * 2048u + rx_ring + tx_ring;
  return std::bit_ceil(std::uint32_t{queues} * per_queue) - 1;
}

Result<rte_mempool*> create_af_xdp_pool(const std::string& name, std::uint32_t count) {
  const std::uint16_t room = af_xdp_data_room();
  rte_mempool* pool = rte_pktmbuf_pool_create(name.c_str(), count, 256, kMbufPrivSize, room,
                                              static_cast<int>(rte_socket_id()));
  if (pool == nullptr) {
    return Error::plain("cannot create the AF_XDP mbuf pool (" + std::to_string(count) + " mbufs of " +
                        std::to_string(room) + " bytes): " + rte_strerror(rte_errno) +
                        "; reserve more hugepages or raise -m");
  }
  const std::uint32_t chunk = pool->header_size + pool->elt_size + pool->trailer_size;
  if (chunk > page_size() || pool->nb_mem_chunks != 1) {
    const std::string why = chunk > page_size()
                                ? "objects of " + std::to_string(chunk) + " bytes exceed a page"
                                : "its memory is in " + std::to_string(pool->nb_mem_chunks) +
                                      " pieces, the UMEM must be one (EAL --iova-mode=va, or a larger -m)";
    rte_mempool_free(pool);
    return Error::plain("the AF_XDP mbuf pool cannot be a UMEM: " + why);
  }
  return pool;
}

}  // namespace sipshunt::net
