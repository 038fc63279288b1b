// libpcap for the pcap: link of amunixd (Debian: libpcap-dev).
#include <pcap/pcap.h>
