/** A template as the fake serves it. */
export interface FakeTemplate {
  readonly id: string;
  readonly code: string;
  readonly name: string;
  readonly serializedConfig: { services: Record<string, unknown> };
}

/** One database service of a made-up template: a service, its volume and its variables with defaults. */
function database(name: string, image: string, mountPath: string, variables: Record<string, string>): Record<string, unknown> {
  return {
    name,
    source: { image },
    volumeMounts: { [`volume-${name.toLowerCase()}`]: { mountPath } },
    variables: {
      ...Object.fromEntries(Object.entries(variables).map(([key, defaultValue]) => [key, { defaultValue, description: `${key} of ${name}` }])),
      // A setting the template leaves open; a deploy may leave it unset.
      TUNING: { defaultValue: "", isOptional: true },
    },
    deploy: { numReplicas: 1 },
  };
}

const password = "${{secret(24)}}";

/**
 * The FAKE's database templates: made up for the tests, in the shape Railway serves a template's serialized
 * configuration (services by id, each with a name, a source image, volume mounts and variables whose defaults may
 * reference other variables or generate a secret). Keyed by the codes Railway's CLI deploys them with.
 */
export const FAKE_TEMPLATES: Readonly<Record<string, FakeTemplate>> = {
  postgres: {
    id: "template-postgres",
    code: "postgres",
    name: "PostgreSQL",
    serializedConfig: {
      services: {
        "service-postgres": database("Postgres", "example.test/postgres:17", "/var/lib/postgresql/data", {
          PGUSER: "postgres",
          POSTGRES_PASSWORD: password,
          PGDATABASE: "railway",
          DATABASE_URL: "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/${{PGDATABASE}}",
        }),
      },
    },
  },
  mysql: {
    id: "template-mysql",
    code: "mysql",
    name: "MySQL",
    serializedConfig: {
      services: {
        "service-mysql": database("MySQL", "example.test/mysql:9", "/var/lib/mysql", {
          MYSQL_ROOT_PASSWORD: password,
          MYSQL_URL: "mysql://root:${{MYSQL_ROOT_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:3306/railway",
        }),
      },
    },
  },
  redis: {
    id: "template-redis",
    code: "redis",
    name: "Redis",
    serializedConfig: {
      services: {
        "service-redis": database("Redis", "example.test/redis:8", "/data", {
          REDIS_PASSWORD: password,
          REDIS_URL: "redis://default:${{REDIS_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:6379",
        }),
      },
    },
  },
  mongo: {
    id: "template-mongo",
    code: "mongo",
    name: "MongoDB",
    serializedConfig: {
      services: {
        "service-mongo": database("MongoDB", "example.test/mongo:8", "/data/db", {
          MONGOPASSWORD: password,
          MONGO_URL: "mongodb://mongo:${{MONGOPASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:27017",
        }),
      },
    },
  },
};
