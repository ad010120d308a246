import { openTestAccount, SHOP, seedShop, shopRefreshFile, type TestAccount } from './refresh-fixture';

let test: TestAccount;

beforeAll(async () => {
  test = await openTestAccount();
  await seedShop(test);
}, 120_000);

afterAll(async () => {
  await test?.close();
}, 60_000);

describe("a refresh file too large for the run's state", () => {
  it('is refused at plan, recorded, with the lock free and nothing created, instead of failing past every Catch', async () => {
    // given a file of about 190 KiB: under StartExecution's 256 KiB, but with its plan, over what a state holds
    const before = await test.instanceIds();
    const file = shopRefreshFile();
    file.comment = 'x'.repeat(190 * 1024);

    // when
    const result = await test.refresh(file, 'state-too-large');

    // then
    expect(result.status).toBe('FAILED');
    expect(result.error).not.toBe('States.DataLimitExceeded');
    expect(await test.recordOf(SHOP.target, 'state-too-large')).toMatchObject({
      status: 'failed',
      failedStep: 'Plan refresh',
      cause: expect.stringMatching(/take 3\d\d KiB of the run's state/),
    });
    expect(await test.lockOf(SHOP.target)).toBeUndefined();
    expect(await test.instanceIds()).toEqual(before);
  }, 120_000);
});
