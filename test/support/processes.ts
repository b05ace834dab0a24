export { processRunning as alive } from '../../infrastructure/runtime/processes.js';
