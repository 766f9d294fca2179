export { startServe, type ServeOptions, type Serving } from './server.js';
export { ModelRegistry, type ServedModel } from './models.js';
export { ApiError } from './http.js';
