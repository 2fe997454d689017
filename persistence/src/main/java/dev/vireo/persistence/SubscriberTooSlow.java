package dev.vireo.persistence;

/** Ends an event stream whose subscriber fell too far behind the live events; it resumes from its last offset. */
public final class SubscriberTooSlow extends RuntimeException {

    SubscriberTooSlow(int buffer) {
        super("the subscriber fell more than " + buffer + " events behind the live event stream;"
                + " reconnect with its last offset (Last-Event-ID) to resume");
    }
}
