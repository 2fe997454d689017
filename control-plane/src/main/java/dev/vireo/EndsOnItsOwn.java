package dev.vireo;

import java.util.concurrent.CompletionStage;

/** A running part of Vireo that can end without being asked to stop (downed by its cluster, a fatal error). */
interface EndsOnItsOwn extends AutoCloseable {

    /** Completes when it has ended, asked to or not. */
    CompletionStage<?> ended();
}
