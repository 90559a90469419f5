/** The checker: properties 1 to 8 of DESIGN.md section 2, judged on a recorded history. */
package io.cohort.simulation.check;
