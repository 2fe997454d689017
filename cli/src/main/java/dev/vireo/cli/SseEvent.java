package dev.vireo.cli;

/** One server-sent event: {@code id} is Vireo's global offset, {@code event} the VM event type. */
record SseEvent(String id, String event, String data) {
}
