//! Synthetic captures for samples, tests and benchmarks: pcap / pcapng
//! writers, TCP/UDP packetisers with impairments, and Lync-style SIP.
