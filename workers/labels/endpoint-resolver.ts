import type { Dictionary } from '../dictionary.js';
import { LabelRegistry } from './label-registry.js';

/** Resolves endpoint string ids (route + category) to worker-local route and category ids, once per endpoint. */
export class EndpointResolver {
  readonly routes = new LabelRegistry();
  readonly categories = new LabelRegistry();
  /** route id + 1 per endpoint string id; 0 = not resolved yet. */
  private routeOf = new Int32Array(256);
  private categoryOf = new Int32Array(256);

  constructor(private readonly dictionary: Dictionary) {}

  route(endpoint: number): number {
    if (endpoint >= this.routeOf.length || this.routeOf[endpoint] === 0) this.resolve(endpoint);
    return this.routeOf[endpoint] - 1;
  }

  category(endpoint: number): number {
    if (endpoint >= this.routeOf.length || this.routeOf[endpoint] === 0) this.resolve(endpoint);
    return this.categoryOf[endpoint];
  }

  private resolve(endpoint: number): void {
    if (endpoint >= this.routeOf.length) {
      let length = this.routeOf.length;
      while (length <= endpoint) length *= 2;
      const routeOf = new Int32Array(length);
      routeOf.set(this.routeOf);
      const categoryOf = new Int32Array(length);
      categoryOf.set(this.categoryOf);
      this.routeOf = routeOf;
      this.categoryOf = categoryOf;
    }
    const { route, category } = this.dictionary.endpoint(endpoint);
    this.routeOf[endpoint] = this.routes.idOf(route) + 1;
    this.categoryOf[endpoint] = this.categories.idOf(category);
  }
}
