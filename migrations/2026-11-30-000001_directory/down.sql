DROP TABLE users;
DROP TABLE teams;
DROP TABLE customers;
DROP TABLE organizations;
DROP TYPE employment_type;
DROP TYPE user_role;
DROP TYPE team_sourcing;
DROP TYPE team_kind;
