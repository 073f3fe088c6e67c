/**
 * What shape inference needs to know of the SGE operator: its output Y has the type and shape of its
 * input X. Registered with the graph core (which knows nothing of SGE) when the SGE layer is loaded.
 */
import { registerShapeRule } from '../graph/shapes.js';
import { SGE_DOMAIN } from './conventions.js';

// Every operator of our domain (either function name) keeps X's type and shape.
registerShapeRule(SGE_DOMAIN, '*', (_node, inputs) => [inputs[0]]);
