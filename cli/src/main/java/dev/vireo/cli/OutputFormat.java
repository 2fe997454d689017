package dev.vireo.cli;

/** Values of {@code -o}. */
enum OutputFormat {
    table, json, yaml
}
