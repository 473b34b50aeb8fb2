// Test helper for init_data_test.cc: prints Mini App initData signed by
// @telegram-apps/init-data-node (the reference implementation our validator must accept).
// Usage: node sign_init_data.mjs <bot_token> <auth_date_unix_s> <user_json> [start_param]
import { sign } from '@telegram-apps/init-data-node';

const [token, authDate, userJson, startParam] = process.argv.slice(2);
const data = { user: JSON.parse(userJson), query_id: 'AAHdF6IQAAAAAN0XohDhrOrc' };
if (startParam) data.start_param = startParam;
process.stdout.write(sign(data, token, new Date(Number(authDate) * 1000)));
