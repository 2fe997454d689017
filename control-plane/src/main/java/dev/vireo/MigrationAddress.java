package dev.vireo;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Checks {@code vireo node --migration-address}: incoming live migrations listen there (QEMU's memory stream and the
 * disks' NBD server), and the source dials {@code tcp://ADDRESS:PORT}, so it must be an IPv4 address or a host name
 * (an IPv6 literal would need brackets in that URI), and one of this host's own: nothing can listen elsewhere.
 */
final class MigrationAddress {

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
            + "(\\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*");

    private MigrationAddress() {
    }

    /** What is wrong with {@code address}, to follow the flag's name in a sentence; null when nothing is. */
    static String problem(String address) {
        if (!HOST.matcher(address).matches()) {
            return "is not an IPv4 address or a host name";
        }
        InetAddress resolved;
        try {
            resolved = InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            return "does not resolve";
        }
        if (!(resolved instanceof java.net.Inet4Address)) {
            return "resolves to " + resolved.getHostAddress() + ", not an IPv4 address";
        }
        if (resolved.isAnyLocalAddress()) {
            return "listens everywhere but cannot be dialled: give the address the other nodes reach this host by";
        }
        try {
            if (!resolved.isLoopbackAddress() && NetworkInterface.getByInetAddress(resolved) == null) {
                return "(" + resolved.getHostAddress() + ") is not an address of this host: incoming migrations"
                        + " listen on it";
            }
        } catch (SocketException e) {
            return "cannot be checked against this host's interfaces: " + e.getMessage();
        }
        return null;
    }
}
