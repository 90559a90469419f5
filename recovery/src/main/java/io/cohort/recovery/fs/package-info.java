/** File-system steps that make the recovery module's writes durable (directory syncs, atomic replacement). */
package io.cohort.recovery.fs;
