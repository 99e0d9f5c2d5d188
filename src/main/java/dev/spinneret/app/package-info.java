/** The composition root: what starts at start-up, and when the process is ready. */
package dev.spinneret.app;
